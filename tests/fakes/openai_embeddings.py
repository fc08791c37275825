"""A loopback server speaking OpenAI's `POST /v1/embeddings`, with failure switches.

Vectors are derived from a hash of each input, so they are deterministic, and scaled so
they are not unit length: a client that forgets to normalize is caught.
"""

import contextlib
import hashlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from tests.fakes.chaos import Chaos

EMBEDDINGS_PATH = "/v1/embeddings"


def fake_vector(text: str, dimension: int) -> list[float]:
    """The unnormalized vector the fake returns for `text`."""
    digest = hashlib.sha256(text.encode()).digest()
    while len(digest) < dimension:
        digest += hashlib.sha256(digest).digest()
    return [(byte - 127.5) / 10 for byte in digest[:dimension]]


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True)
class _Failure:
    status: int
    message: str
    retry_after: str | None
    delay_s: float


@dataclass
class FakeOpenAIEmbeddings:
    """Run with `with FakeOpenAIEmbeddings() as server:`; aim clients at `server.base_url`.

    `api_key` makes every request without `Authorization: Bearer {api_key}` fail with 401,
    quoting the key presented (as a careless server might). `fail_next` queues failures
    answered before normal service resumes; `reverse_order` returns `data` last to first.
    """

    dimension: int = 8
    api_key: str | None = None
    reverse_order: bool = False
    latency_s: float = 0.0
    """How long each answer takes, as a remote model would."""
    requests: list[RecordedRequest] = field(default_factory=list)
    chaos: Chaos = field(default_factory=Chaos)
    """Random faults in a share of the answers (``chaos.rate``)."""
    _failures: deque[_Failure] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: str | None = None,
        message: str = "simulated failure",
        delay_s: float = 0.0,
    ) -> None:
        """Answer the next `times` requests with `status`, after `delay_s` seconds."""
        with self._lock:
            self._failures.extend([_Failure(status, message, retry_after, delay_s)] * times)

    def _next_failure(self) -> _Failure | None:
        with self._lock:
            return self._failures.popleft() if self._failures else None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def __enter__(self) -> Self:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        # A short poll interval keeps shutdown, which waits for the next poll, quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def _error_body(message: str, kind: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _handler_for(fake: FakeOpenAIEmbeddings) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes: without this, delayed ACKs add ~40 ms
        # to every keep-alive request, which no real server does.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(body).encode()
            # The client may have given up waiting, as a timeout test intends.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            fake._record(RecordedRequest(self.path, dict(self.headers.items()), body))
            if self.path != EMBEDDINGS_PATH:
                self._send(404, _error_body(f"no route {self.path}", "invalid_request_error", None))
                return
            presented = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if fake.api_key is not None and presented != fake.api_key:
                message = f"Incorrect API key provided: {presented}."
                self._send(401, _error_body(message, "invalid_request_error", "invalid_api_key"))
                return
            time.sleep(fake.latency_s)
            if fake.chaos.answer(self):
                return
            failure = fake._next_failure()
            if failure is not None:
                time.sleep(failure.delay_s)
                headers = {"Retry-After": failure.retry_after} if failure.retry_after else None
                self._send(
                    failure.status, _error_body(failure.message, "server_error", None), headers
                )
                return
            self._answer(body)

        def _answer(self, body: Any) -> None:
            inputs = body.get("input") if isinstance(body, dict) else None
            if isinstance(inputs, str):
                inputs = [inputs]
            if (
                not isinstance(body, dict)
                or not isinstance(body.get("model"), str)
                or not isinstance(inputs, list)
                or not all(isinstance(text, str) for text in inputs)
            ):
                message = "'input' must be a string or a list of strings, with a 'model'"
                self._send(400, _error_body(message, "invalid_request_error", None))
                return
            data = [
                {
                    "object": "embedding",
                    "index": index,
                    "embedding": fake_vector(text, fake.dimension),
                }
                for index, text in enumerate(inputs)
            ]
            tokens = sum(len(text.split()) for text in inputs)
            self._send(
                200,
                {
                    "object": "list",
                    "data": data[::-1] if fake.reverse_order else data,
                    "model": body["model"],
                    "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                },
            )

    return Handler
