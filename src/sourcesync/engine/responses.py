"""Reading an app's answer to a call request: status, body, retry headers, errors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .app_calls import AppResponse
from .clock import now_ms
from .durations import parse_duration_ms, parse_timestamp_ms


@dataclass
class Outcome:
    """What one app call produced, before it is applied to state."""

    status: int
    body: Any = None
    no_retry: bool = False
    retry_at: int | None = None
    transport_error: str | None = None


def parse_response(response: AppResponse) -> Outcome:
    """An app's answer as an outcome; a body that is not JSON becomes an error message."""
    try:
        body = json.loads(response.body) if response.body else None
    except ValueError:
        body = {"message": response.body[:500].decode(errors="replace"), "name": "Error"}
    headers = {k.lower(): v for k, v in response.headers.items()}
    retry_at = None
    if "retry-after" in headers:
        retry_at = retry_after_ms(headers["retry-after"])
    return Outcome(
        status=response.status,
        body=body,
        no_retry=headers.get("x-inngest-no-retry") == "true",
        retry_at=retry_at,
    )


def retry_after_ms(value: str) -> int | None:
    value = value.strip()
    if value.isdigit():
        return now_ms() + int(value) * 1000
    try:
        return parse_timestamp_ms(value)
    except ValueError:
        return None


def sleep_until(op: dict[str, Any], now: int) -> int:
    opts = op.get("opts") or {}
    if isinstance(opts, dict) and opts.get("duration"):
        return now + parse_duration_ms(str(opts["duration"]))
    try:
        return parse_timestamp_ms(str(op.get("name")))
    except ValueError:
        return now


def plain_error(message: str, name: str = "Error") -> dict[str, Any]:
    return {"name": name, "message": message, "stack": None}


def error_of(error: Any, status: str) -> dict[str, Any]:
    if isinstance(error, dict) and "message" in error:
        return {
            "name": error.get("name") or "Error",
            "message": error.get("message"),
            "stack": error.get("stack"),
        }
    return plain_error(f"run {status.lower()}")


def function_error(outcome: Outcome) -> dict[str, Any]:
    if outcome.transport_error:
        return plain_error(outcome.transport_error, name="TransportError")
    body = outcome.body
    if isinstance(body, dict) and "message" in body:
        return {
            "code": body.get("code"),
            "name": body.get("name") or "Error",
            "message": body.get("message"),
            "stack": body.get("stack"),
        }
    return plain_error(f"the app answered HTTP {outcome.status}: {str(body)[:500]}")
