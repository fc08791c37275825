"""JSON shapes of runs, events and steps, as Inngest's APIs and the dashboard show them."""

from __future__ import annotations

import json
from typing import Any

from .durations import iso_from_ms
from .read_view import memo_value, run_result, shown_status
from .state import EventRow, RunRow, StepRow

PREVIEW_BYTES = 2_048


def run_view(run: RunRow, event_id: str | None = None) -> dict[str, Any]:
    """A run as ``GET /v1/runs/{id}`` returns it."""
    return {
        "run_id": run.id,
        "function_id": run.function_id,
        "function_version": 1,
        "environment_id": "dev",
        "event_id": event_id or (run.event_ids[0] if run.event_ids else None),
        "batch_id": None,
        "status": shown_status(run),
        "run_started_at": iso_from_ms(run.started_at or run.created_at),
        "ended_at": iso_from_ms(run.ended_at) if run.ended_at else None,
        "output": run_result(run),
        "parent_run_id": run.parent_run_id,
    }


def event_view(row: EventRow) -> dict[str, Any]:
    """An event as ``GET /v1/events`` returns it."""
    event = row.event
    return {
        "internal_id": row.internal_id,
        "id": event.get("id"),
        "name": event.get("name"),
        "data": event.get("data", {}),
        "user": event.get("user"),
        "ts": event.get("ts"),
        "received_at": iso_from_ms(row.received_at),
    }


def capped(value: Any) -> dict[str, Any]:
    """A JSON value for display: at most ``PREVIEW_BYTES``, saying when it was cut."""
    text = json.dumps(value)
    if len(text) <= PREVIEW_BYTES:
        return {"preview": text, "size": len(text), "truncated": False}
    return {"preview": text[:PREVIEW_BYTES], "size": len(text), "truncated": True}


def step_view(step: StepRow) -> dict[str, Any]:
    """One line of a run's timeline."""
    output, _ = memo_value(step)
    return {
        "id": step.id,
        "name": step.name,
        "op": step.op,
        "status": step.status,
        "attempts": step.attempts,
        "started_at": iso_from_ms(step.started_at) if step.started_at else None,
        "ended_at": iso_from_ms(step.ended_at) if step.ended_at else None,
        "output": capped(output) if step.memo is not None and not step.error else None,
        "error": step.error,
    }
