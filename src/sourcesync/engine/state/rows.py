"""Typed rows of the engine's state, as the store returns them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from ..enums import QueueKind, RunStatus, StepStatus


class EventRow(NamedTuple):
    """A stored event. A named tuple, so ``internal_id, event, received_at = row`` reads."""

    internal_id: str
    event: dict[str, Any]
    received_at: int


@dataclass(frozen=True, slots=True)
class AppRow:
    url: str
    app_id: str
    sdk: str | None
    framework: str | None
    synced_at: int


@dataclass(frozen=True, slots=True)
class FunctionRow:
    id: str
    app_url: str
    config: str
    cron_next_at: int | None


class QueueItem(NamedTuple):
    """One unit of scheduled work: an app call, or a timer firing. A named tuple: a
    scheduler pass reads hundreds (most of them behind a full concurrency key), and a
    tuple is several times cheaper to build than a frozen dataclass."""

    id: int
    run_id: str
    kind: QueueKind
    step_id: str | None
    attempt: int
    run_at: int


@dataclass(slots=True)
class RunRow:
    id: str
    function_id: str
    status: RunStatus
    event_ids: list[str]
    created_at: int
    started_at: int | None
    ended_at: int | None
    output: Any
    error: Any
    parent_run_id: str | None
    parent_step_id: str | None
    concurrency_keys: list[list[Any]]
    priority_ms: int
    singleton_key: str | None
    state_bytes: int
    start_deadline: int | None
    force_step_plan: bool = False


@dataclass(slots=True)
class StepRow:
    run_id: str
    id: str
    seq: int
    name: str
    op: str
    status: StepStatus
    attempts: int
    started_at: int | None
    ended_at: int | None
    memo: str | None
    error: Any
    opts: Any


@dataclass(frozen=True, slots=True)
class WaitRow:
    run_id: str
    step_id: str
    expression: str | None


@dataclass(frozen=True, slots=True)
class DebounceRow:
    function_id: str
    key: str
    event_internal_id: str
    first_at: int
    fire_at: int


@dataclass(frozen=True, slots=True)
class BatchRow:
    function_id: str
    key: str
    event_ids: list[str]
    fire_at: int
