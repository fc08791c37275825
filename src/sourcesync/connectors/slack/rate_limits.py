"""Slack's rate limits, shared by every client of one token in the process.

Slack limits each method per workspace and app by tier (`settings.TIER_OF_METHOD`). All
the batches and webhook-driven syncs of one source (and any two sources on one token)
draw from the same `TokenLimiter`, so running them side by side never multiplies the
request rate. When Slack still answers 429, its `Retry-After` pauses every caller of the
token, not just the one that was refused.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

from .settings import TIER_OF_METHOD

__all__ = ["TokenLimiter", "limiter_for"]

_DEFAULT_TIER = 3
_WINDOW_S = 60.0


class TokenLimiter:
    """At most `per_minute[tier]` calls of a tier in any 60 s, as Slack counts them; pauses
    that Slack asks for (429 `Retry-After`) hold every tier back.

    A sliding window rather than even spacing: a small sync bursts through its few calls,
    and only a large one settles at the tier's rate.
    """

    def __init__(
        self,
        per_minute: Mapping[int, float],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_minute = dict(per_minute)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._calls: dict[int, deque[float]] = {}
        self._paused_until = 0.0

    def acquire(self, method: str) -> float:
        """Wait for the turn of one call to `method`; return the seconds waited."""
        tier = TIER_OF_METHOD.get(method, _DEFAULT_TIER)
        limit = max(1, int(self.per_minute.get(tier, self.per_minute.get(_DEFAULT_TIER, 50))))
        with self._lock:
            now = self._clock()
            calls = self._calls.setdefault(tier, deque())
            start = max(now, self._paused_until, calls[-1] if calls else now)
            while calls and calls[0] <= start - _WINDOW_S:
                calls.popleft()
            if len(calls) >= limit:
                start = max(start, calls[-limit] + _WINDOW_S)
                while calls and calls[0] <= start - _WINDOW_S:
                    calls.popleft()
            calls.append(start)
        wait = start - now
        if wait > 0:
            self._sleep(wait)
        return wait

    def pause(self, seconds: float) -> None:
        """Hold every caller back for `seconds` (a 429's Retry-After)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._sleep(seconds)


_LIMITERS: dict[str, TokenLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def limiter_for(api_url: str, token: str, per_minute: Mapping[int, float]) -> TokenLimiter:
    """The process's limiter of one token at one Slack (created on first use).

    The key is a digest, so the registry never holds a token in the clear.
    """
    key = hashlib.sha256(f"{api_url}\0{token}".encode()).hexdigest()
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(key)
        if limiter is None:
            limiter = _LIMITERS[key] = TokenLimiter(per_minute)
        else:
            limiter.per_minute = dict(per_minute)
        return limiter
