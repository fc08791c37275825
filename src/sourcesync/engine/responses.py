"""Reading an app's answer to a call request: status, body, retry headers, errors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .app_calls import AppResponse
from .clock import now_ms
from .durations import parse_duration_ms, parse_timestamp_ms
from .enums import INNGEST_OPCODE_NAMES


@dataclass
class Outcome:
    """What one app call produced, before it is applied to state."""

    status: int
    body: Any = None
    no_retry: bool = False
    retry_at: int | None = None
    transport_error: str | None = None
    # An answer the executor could not read (Inngest's ``DriverResponse.Err``): a call
    # error, retried, whatever the answer's headers said, as Inngest discards it.
    unreadable: str | None = None


def parse_response(response: AppResponse) -> Outcome:
    """An app's answer as an outcome; a body that is not JSON becomes an error message."""
    try:
        body = json.loads(response.body) if response.body else None
    except ValueError:
        body = {"message": response.body[:500].decode(errors="replace"), "name": "Error"}
    if response.status == 206 and isinstance(body, dict):
        # Older SDKs answer one opcode object instead of a list; Inngest accepts both.
        body = [body]
    if response.status == 206 and isinstance(body, list):
        unreadable = unreadable_opcode(body)
        if unreadable is not None:
            return Outcome(status=response.status, unreadable=unreadable)
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


def unreadable_opcode(ops: list[Any]) -> str | None:
    """Why Inngest's executor cannot read a 206 answer's opcodes, or None when it can.

    Its driver decodes the whole list into its ``Opcode`` enum before acting on any of
    it, so one unknown name voids the answer (``httpdriver.ParseGenerator``).
    """
    for op in ops:
        if not isinstance(op, dict) or "op" not in op:
            continue
        # JSON null leaves Go's string empty, which is no opcode's name either.
        name = "" if op["op"] is None else op["op"]
        if not isinstance(name, str):
            reason = f"Opcode should be a string, got {json.dumps(name)}"
        elif name not in INNGEST_OPCODE_NAMES:
            reason = f"{name} does not belong to Opcode values"
        else:
            continue
        return f"error reading generator opcode response: {reason}"
    return None


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


DEFAULT_ERROR_NAME = "Error"
DEFAULT_ERROR_MESSAGE = "Function execution error"


def plain_error(message: str, name: str = DEFAULT_ERROR_NAME) -> dict[str, Any]:
    """An error the engine itself raises, in Inngest's ``StandardError`` shape."""
    return {"error": f"{name}: {message}", "name": name, "message": message}


def function_error(outcome: Outcome) -> Any:
    """A failed call's error as Inngest stores it: the SDK's own body, unchanged."""
    if outcome.transport_error:
        return plain_error(outcome.transport_error, name="TransportError")
    if outcome.unreadable:
        # Inngest's executor wraps its own error without prefixing the name.
        return {
            "error": outcome.unreadable,
            "name": DEFAULT_ERROR_NAME,
            "message": outcome.unreadable,
        }
    body = outcome.body
    if isinstance(body, dict) and "message" in body:
        return body
    return plain_error(f"the app answered HTTP {outcome.status}: {str(body)[:500]}")


def failure_reason(outcome: Outcome) -> str:
    """The executor's own word for a failed call (Inngest's ``DriverResponse.Err``)."""
    if outcome.transport_error:
        return outcome.transport_error
    if outcome.unreadable:
        return outcome.unreadable
    if outcome.no_retry:
        return "NonRetriableError"
    return f"invalid status code: {outcome.status}"


def standard_error(error: Any, reason: str | None = None) -> dict[str, Any]:
    """Inngest's ``StandardError`` of a failed run: ``{error, name, message, stack?}``.

    This is what ``inngest/function.failed`` and ``function.finished`` carry and what an
    invoking parent's step fails with: the SDK's fields where it sent them, the
    executor's ``reason`` (``invalid status code: 500``) for ``error`` otherwise.
    """
    raw: dict[str, Any] = {}
    if isinstance(error, dict):
        nested = error.get("error")
        raw = nested if isinstance(nested, dict) else error
    elif error is not None:
        raw = {"message": str(error)}
    result = {
        "error": DEFAULT_ERROR_MESSAGE,
        "name": DEFAULT_ERROR_NAME,
        "message": DEFAULT_ERROR_MESSAGE,
    }
    for key in ("error", "name", "message", "stack"):
        value = raw.get(key)
        if isinstance(value, str) and value:
            result[key] = value
    if reason:
        if result["error"] == DEFAULT_ERROR_MESSAGE:
            result["error"] = reason
        if result["message"] == DEFAULT_ERROR_MESSAGE:
            result["message"] = reason
    return result
