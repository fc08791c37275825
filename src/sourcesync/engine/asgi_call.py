"""One HTTP request to an ASGI app in this process, without a client library.

The app sees what a server would give it (method, path, query, headers, body); the engine
gets the status, headers and body back. httpx's ``ASGITransport`` does the same through
its whole client stack (URL models, header models, cookies, streams), which profiling
showed to cost more CPU per step than the engine itself.

Calls to the SDK's serve endpoint of a FastAPI app skip the framework's routing and
dependency injection (``serve_route``): the request goes to the route's handler, wrapped
in the app's own middleware, as a real HTTP request the SDK reads and verifies.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any
from urllib.parse import unquote, urlsplit

from starlette.requests import Request
from starlette.routing import Match

log = logging.getLogger("sourcesync.engine")

Message = MutableMapping[str, Any]
Scope = dict[str, Any]
AsgiApp = Callable[[Scope, Any, Any], Awaitable[None]]

# The module of inngest-py's FastAPI integration, whose serve handlers take the request.
SDK_FASTAPI_MODULE = "inngest.fast_api"


@functools.lru_cache(maxsize=256)
def _target(url: str) -> tuple[str, bytes, str, bytes, tuple[str, int]]:
    """Scheme, host header, path, raw path and server of a URL without its query."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    server = (parts.hostname or "localhost", port)
    return parts.scheme, parts.netloc.encode(), unquote(parts.path), parts.path.encode(), server


def post_scope(url: str, body: bytes, headers: Mapping[str, str]) -> Scope:
    """The ASGI scope of a POST of ``body`` to ``url``, as a server would build it."""
    base, _, query = url.partition("?")
    scheme, host, path, raw_path, server = _target(base)
    raw_headers = [
        (b"host", host),
        (b"content-length", str(len(body)).encode()),
        *((name.lower().encode(), value.encode()) for name, value in headers.items()),
    ]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": scheme,
        "path": path,
        "raw_path": raw_path,
        "query_string": query.encode(),
        "root_path": "",
        "headers": raw_headers,
        "client": ("127.0.0.1", 0),
        "server": server,
    }


def serve_route(app: Any, url: str) -> AsgiApp | None:
    """The SDK's POST handler that ``app`` routes ``url`` to, inside the app's middleware,
    or None when the app is not a FastAPI app serving the SDK there.

    The route is the one the app's router picks (its first full match), resolved once.
    User middleware runs as in the whole app; what is skipped is the framework's own
    layers (routing, dependency injection, its error pages: a handler that raises before
    answering becomes a 500 here too).
    """
    routes = getattr(getattr(app, "router", None), "routes", None)
    if not isinstance(routes, list):
        return None
    scope = post_scope(url, b"", {})
    endpoint = None
    for route in routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            endpoint = getattr(route, "endpoint", None)
            break
    if endpoint is None or getattr(endpoint, "__module__", None) != SDK_FASTAPI_MODULE:
        return None
    handler: Callable[[Request], Awaitable[Any]] = endpoint

    router = app.router

    async def serve(scope: Scope, receive: Any, send: Any) -> None:
        # What the app's routing would have added to the scope for this route.
        scope.update(router=router, endpoint=handler, path_params={})
        response = await handler(Request(scope, receive, send))
        await response(scope, receive, send)

    middleware: AsgiApp = serve
    for cls, args, kwargs in reversed(getattr(app, "user_middleware", [])):
        middleware = cls(middleware, *args, **kwargs)

    async def app_call(scope: Scope, receive: Any, send: Any) -> None:
        scope["app"] = app  # as the app sets it before its middleware runs
        await middleware(scope, receive, send)

    return app_call


async def asgi_post(
    app: Any, url: str, body: bytes, headers: Mapping[str, str]
) -> tuple[int, dict[str, str], bytes]:
    """POST ``body`` to ``url`` served by ``app``; a failure before any answer is a 500."""
    scope = post_scope(url, body, headers)
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
