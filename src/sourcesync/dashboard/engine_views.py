"""What the engine pages show of runs, steps and events, read through the engine's
``ReadView`` (the inspection API's display rules) and shaped for templates.

Everything here reads the engine's state, so it runs on the engine's event loop (the
dashboard's handlers are coroutines served by that loop), never on a worker thread.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sourcesync.engine import Engine, RunRow, StepRow
from sourcesync.engine.enums import ACTIVE_RUN_STATUSES, PENDING_STEP_STATUSES
from sourcesync.engine.json_shapes import capped
from sourcesync.engine.read_view import memo_value, run_result

PAGE_SIZE = 50


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class RunLine:
    """A run in a list: its trigger's name and how long it took (or has taken)."""

    run: RunRow
    event_name: str | None
    event_id: str | None

    @property
    def active(self) -> bool:
        return self.run.status in ACTIVE_RUN_STATUSES

    @property
    def duration_ms(self) -> int | None:
        start = self.run.started_at or self.run.created_at
        return (self.run.ended_at or now_ms()) - start


def run_lines(engine: Engine, runs: list[RunRow]) -> list[RunLine]:
    view = engine.view
    lines = []
    for run in runs:
        events = view.run_events(run, first_only=True)
        event = events[0] if events else {}
        lines.append(RunLine(run, event.get("name"), run.event_ids[0] if run.event_ids else None))
    return lines


@dataclass(frozen=True)
class StepLine:
    """One step of a run's timeline, with its output capped for the page."""

    step: StepRow
    offset_ms: int | None
    duration_ms: int | None
    output: dict[str, Any] | None
    error: Any
    deadline_ms: int | None
    child: RunRow | None

    @property
    def pending(self) -> bool:
        return self.step.status in PENDING_STEP_STATUSES


def step_lines(engine: Engine, run: RunRow) -> list[StepLine]:
    view = engine.view
    timers = view.timers(run.id)
    children = {child.parent_step_id: child for child in view.child_runs(run.id)}
    start = run.started_at or run.created_at
    lines = []
    for step in view.steps(run.id):
        output, memo_error = memo_value(step)
        end = step.ended_at
        lines.append(
            StepLine(
                step=step,
                offset_ms=step.started_at - start if step.started_at else None,
                duration_ms=(end - step.started_at) if end and step.started_at else None,
                output=capped(output) if step.memo is not None and not memo_error else None,
                error=step.error or memo_error,
                deadline_ms=timers.get(step.id),
                child=children.get(step.id),
            )
        )
    return lines


def run_outcome(run: RunRow) -> dict[str, Any] | None:
    """The run's output or error, capped for the page."""
    result = run_result(run)
    return None if result is None else capped(result)


def full_step_output(step: StepRow) -> str:
    """A step's whole output (or error) as indented JSON."""
    output, error = memo_value(step)
    return json.dumps(error if error is not None else output, indent=2, ensure_ascii=False)
