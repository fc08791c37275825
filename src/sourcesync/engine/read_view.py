"""A read-only view of the engine's state for the HTTP, GraphQL and dashboard modules,
with the display rules they share written once."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from .enums import RunStatus
from .ids import ulid_bound
from .state import EventRow, RunRow, StateStore, StepRow


def shown_status(run: RunRow) -> RunStatus:
    """Inngest's REST API shows a run that has not started yet as running."""
    return RunStatus.RUNNING if run.status == RunStatus.QUEUED else run.status


def run_result(run: RunRow) -> Any:
    """What a run produced: its error if it failed, its output otherwise."""
    return run.error if run.status == RunStatus.FAILED else run.output


def memo_value(step: StepRow) -> tuple[Any, Any]:
    """A memoized step as ``(data, error)``, unwrapped from ``{"data"}``/``{"error"}``."""
    if step.memo is None:
        return None, None
    memo = json.loads(step.memo)
    if isinstance(memo, dict) and memo.get("error"):
        return None, memo["error"]
    if isinstance(memo, dict) and "data" in memo:
        return memo["data"], None
    return memo, None


class ReadView:
    """Queries the inspection APIs may make; nothing here writes."""

    def __init__(self, store: StateStore) -> None:
        self._store = store

    def run(self, run_id: str) -> RunRow | None:
        return self._store.get_run(run_id)

    def runs(
        self,
        function_id: str | None = None,
        status: RunStatus | None = None,
        limit: int = 50,
        before: str | None = None,
        since_ms: int | None = None,
    ) -> list[RunRow]:
        """Runs newest first, from ``before`` (a run id: the next page) back to ``since_ms``."""
        since = ulid_bound(since_ms) if since_ms is not None else None
        return self._store.list_runs(function_id, status, limit, before, since)

    def child_runs(self, run_id: str) -> list[RunRow]:
        return self._store.child_runs(run_id)

    def runs_by_event_field(
        self, field: str, value: str, since_ms: int, until_ms: int, limit: int = 2_000
    ) -> list[RunRow]:
        """Runs whose triggering event, received within the window, has ``data[field]``
        equal to ``value`` (a job's runs by its id, say), oldest first."""
        return self._store.runs_by_event_field(
            field, value, ulid_bound(since_ms), ulid_bound(until_ms, upper=True), limit
        )

    def timers(self, run_id: str) -> dict[str, int]:
        """When each pending sleep, wait or invoke of the run times out, by step id."""
        return self._store.timers(run_id)

    def runs_for_event(self, internal_id: str) -> list[RunRow]:
        return self._store.runs_for_event(internal_id)

    def event(self, any_id: str) -> EventRow | None:
        return self._store.find_event(any_id)

    def events(self, name: str | None, limit: int, before: str | None = None) -> list[EventRow]:
        return self._store.list_events(name, limit, before)

    def run_events(self, run: RunRow, first_only: bool = False) -> list[dict[str, Any]]:
        return self._store.events_by_internal_id(run.event_ids[:1] if first_only else run.event_ids)

    def steps(self, run_id: str) -> list[StepRow]:
        return self._store.steps(run_id)

    def step(self, run_id: str, step_id: str) -> StepRow | None:
        return self._store.get_step(run_id, step_id)

    def memos_json(self, run_id: str) -> str:
        return self._store.memos_json(run_id)[0]

    def apps(self) -> list[dict[str, Any]]:
        return [asdict(app) for app in self._store.apps()]
