"""A round-robin HTTP proxy on loopback: one URL in front of app replicas, as a load
balancer would be. A replica that refuses the connection (dead) is skipped for the next one,
as a balancer's passive health check does, and so is one that fails a GET (idempotent); a
POST that fails once sent is answered 502, which Inngest retries. Each request opens its own
connection, so no reused keep-alive connection races the replica closing it. `served`
counts the requests each replica answered."""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import httpx

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class RoundRobinProxy:
    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.served: Counter[str] = Counter()
        self._next = itertools.cycle(range(len(backends)))
        self._lock = threading.Lock()
        self._client = httpx.Client(
            timeout=httpx.Timeout(600.0, connect=2.0),
            limits=httpx.Limits(max_keepalive_connections=0),
        )
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the proxy first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> httpx.Response | None:
        with self._lock:
            start = next(self._next)
        for offset in range(len(self.backends)):
            backend = self.backends[(start + offset) % len(self.backends)]
            try:
                response = self._client.request(
                    method, f"{backend}{path}", headers=headers, content=body
                )
            except httpx.ConnectError:
                continue
            except httpx.TransportError:
                if method == "GET":
                    continue
                return None
            with self._lock:
                self.served[backend] += 1
            return response
        return None

    def __enter__(self) -> Self:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
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
        self._client.close()


def _handler_for(proxy: RoundRobinProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

        def _relay(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            # The app sees the URL its clients use, as behind a real balancer.
            headers["Host"] = self.headers.get("Host", "")
            response = proxy.forward(self.command, self.path, headers, body)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                if response is None:
                    payload = b'{"error": "no replica answered"}'
                    self.send_response(502)
                    self.send_header("Content-Type", "application/json")
                else:
                    payload = response.content
                    self.send_response(response.status_code)
                    for name, value in response.headers.items():
                        if name.lower() not in _HOP_BY_HOP | {"content-encoding"}:
                            self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _relay

    return Handler
