"""Validating events sent to the event API, so a bad body is refused whole."""

from __future__ import annotations

import json
from typing import Any

from .errors import EventValidationError

MAX_EVENTS_PER_SEND = 5_000
MAX_EVENT_BYTES = 3 * 1024 * 1024


def validate_events(payload: Any) -> list[dict[str, Any]]:
    """Check one event or a list of them; raise naming the first bad field."""
    events = payload if isinstance(payload, list) else [payload]
    if not events:
        raise EventValidationError("no events: send an event object or a non-empty list")
    if len(events) > MAX_EVENTS_PER_SEND:
        raise EventValidationError(
            f"too many events: {len(events)} in one send; the limit is "
            f"{MAX_EVENTS_PER_SEND:,} events per send"
        )
    return [_validate_one(event, index, len(events) > 1) for index, event in enumerate(events)]


def _validate_one(event: Any, index: int, many: bool) -> dict[str, Any]:
    where = f"events[{index}]." if many else ""
    if not isinstance(event, dict):
        raise EventValidationError(f"{where.rstrip('.') or 'event'}: must be a JSON object")
    name = event.get("name")
    if not isinstance(name, str) or not name.strip():
        raise EventValidationError(f"{where}name: required, a non-empty string")
    data = event.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise EventValidationError(f"{where}data: must be an object")
    event_id = event.get("id")
    if event_id is not None and not isinstance(event_id, str):
        raise EventValidationError(f"{where}id: must be a string")
    ts = event.get("ts")
    if ts is not None and (isinstance(ts, bool) or not isinstance(ts, int)):
        raise EventValidationError(f"{where}ts: must be an integer (milliseconds since epoch)")
    user = event.get("user")
    if user is not None and not isinstance(user, dict):
        raise EventValidationError(f"{where}user: must be an object")
    normalized: dict[str, Any] = {"name": name, "data": data}
    if event_id:
        normalized["id"] = event_id
    if ts:
        normalized["ts"] = ts
    if user is not None:
        normalized["user"] = user
    if "v" in event and event["v"] is not None:
        normalized["v"] = str(event["v"])
    size = len(json.dumps(normalized, separators=(",", ":")))
    if size > MAX_EVENT_BYTES:
        raise EventValidationError(
            f"{where}data: the event is {size:,} bytes; the limit is 3 MiB per event"
        )
    return normalized
