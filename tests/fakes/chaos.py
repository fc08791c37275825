"""Random faults a fake injects into a share of its answers, as a flaky network and a busy
API would: rate limits, server errors, and connections dropped without an answer."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler


class Fault(StrEnum):
    RATE_LIMITED = "rate limited"
    SERVER_ERROR = "server error"
    BAD_GATEWAY = "bad gateway"
    DROPPED = "dropped"


STATUS = {Fault.RATE_LIMITED: 429, Fault.SERVER_ERROR: 500, Fault.BAD_GATEWAY: 502}


@dataclass
class Chaos:
    """``rate`` of the requests get one of ``Fault``; ``seed`` makes the draw repeatable."""

    rate: float = 0.0
    seed: int = 0
    injected: list[Fault] = field(default_factory=list)
    _random: random.Random = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def pick(self) -> Fault | None:
        with self._lock:
            if self.rate <= 0 or self._random.random() >= self.rate:
                return None
            fault = self._random.choice(list(Fault))
            self.injected.append(fault)
            return fault

    def answer(self, handler: BaseHTTPRequestHandler) -> bool:
        """Answer ``handler``'s request with a fault when one is drawn; True if so."""
        fault = self.pick()
        if fault is None:
            return False
        if fault is Fault.DROPPED:
            handler.close_connection = True
            return True
        body = f'{{"message": "injected fault: {fault}"}}'.encode()
        handler.send_response(STATUS[fault])
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        if fault is Fault.RATE_LIMITED:
            handler.send_header("Retry-After", "1")
        handler.end_headers()
        handler.wfile.write(body)
        return True
