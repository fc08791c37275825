"""Request limits of the REST API, enforced before a route reads anything.

- A body over 1 MB is refused (413) as soon as it is known to be larger: from its
  ``Content-Length``, or while it streams in.
- A body must be JSON (415 otherwise), and strict JSON: ``NaN``, ``Infinity``, numbers too
  large for a float, and nesting deeper than ``MAX_DEPTH`` are refused (400), so no route
  ever sees a value it would fail on later.

``/api/inngest`` (the workflow runtime, whose requests carry memoized step outputs and are
signed) and ``/webhooks/*`` (capped by their own route) are left to their owners.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 64
LIMITED_PREFIX = "/api/"
EXEMPT_PREFIX = "/api/inngest"


class BadJSONError(ValueError):
    """The body is not strict JSON."""


def _refuse_constant(name: str) -> Any:
    raise BadJSONError(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise BadJSONError(f"the number {text[:40]} is out of range")
    return value


def _depth(value: Any, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise BadJSONError(f"JSON nested deeper than {MAX_DEPTH} levels")
    children = (
        value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    )
    for child in children:
        _depth(child, depth + 1)


def parse_strict_json(body: bytes) -> Any:
    """The JSON value of ``body``; ``BadJSONError`` saying what is wrong otherwise."""
    try:
        value = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite)
    except RecursionError as exc:
        raise BadJSONError(f"JSON nested deeper than {MAX_DEPTH} levels") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadJSONError(f"the body is not JSON: {exc}") from exc
    _depth(value)
    return value


class RequestLimits:
    """ASGI middleware applying the limits above to ``/api/*``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or not path.startswith(LIMITED_PREFIX)
            or path.startswith(EXEMPT_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        headers = {key.decode().lower(): value.decode() for key, value in scope["headers"]}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            await _answer(send, 413, f"request body over {MAX_BODY_BYTES} bytes")
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_BODY_BYTES:
                await _answer(send, 413, f"request body over {MAX_BODY_BYTES} bytes")
                return
        if body:
            if not headers.get("content-type", "").split(";")[0].strip().endswith("json"):
                await _answer(send, 415, "send the body as JSON (Content-Type: application/json)")
                return
            try:
                parse_strict_json(bytes(body))
            except BadJSONError as exc:
                await _answer(send, 400, str(exc))
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)


async def _answer(send: Send, status: int, message: str) -> None:
    body = json.dumps({"detail": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
