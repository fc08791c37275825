"""One HTTP request to an ASGI app in this process, without a client library.

The app sees what a server would give it (method, path, query, headers, body); the engine
gets the status, headers and body back. httpx's ``ASGITransport`` does the same through
its whole client stack (URL models, header models, cookies, streams), which profiling
showed to cost more CPU per step than the engine itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, MutableMapping
from typing import Any
from urllib.parse import unquote, urlsplit

log = logging.getLogger("sourcesync.engine")

Message = MutableMapping[str, Any]


async def asgi_post(
    app: Any, url: str, body: bytes, headers: Mapping[str, str]
) -> tuple[int, dict[str, str], bytes]:
    """POST ``body`` to ``url`` served by ``app``; a failure before any answer is a 500."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    raw_headers = [
        (b"host", parts.netloc.encode()),
        (b"content-length", str(len(body)).encode()),
        *((name.lower().encode(), value.encode()) for name, value in headers.items()),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": parts.scheme,
        "path": unquote(parts.path),
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": raw_headers,
        "client": ("127.0.0.1", 0),
        "server": (host, port),
    }
    status = 0
    response_headers: dict[str, str] = {}
    chunks: list[bytes] = []
    body_sent = False
    complete = asyncio.Event()

    async def receive() -> Message:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await complete.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
            for name, value in message.get("headers", []):
                response_headers[name.decode("latin-1").lower()] = value.decode("latin-1")
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                complete.set()

    try:
        await app(scope, receive, send)
    except Exception:
        if not status:
            log.exception("the in-process app raised before answering", extra={"url": url})
            return 500, {}, b'{"name":"Error","message":"the app raised before answering"}'
    finally:
        complete.set()
    return status, response_headers, b"".join(chunks)
