"""A run's life: its creation through flow control, its memoized steps, and its end, with
the lifecycle events Inngest sends and the resumption of an invoking parent."""

from __future__ import annotations

import logging
from typing import Any

from .admission import admit
from .config import MAX_RUN_STATE_BYTES, MAX_STEP_OUTPUT_BYTES, MAX_STEPS_PER_RUN
from .core import Core, Effects
from .enums import InternalEvent, QueueKind, RunStatus, StepStatus
from .ids import new_ulid
from .registry import RegisteredFunction
from .responses import plain_error, standard_error
from .state import RunRow, dumps

log = logging.getLogger("sourcesync.engine")

LIMITS = (
    f"limits: {MAX_STEPS_PER_RUN:,} steps per run, 4 MiB per step output, 32 MiB of state per run"
)


def create_run(
    core: Core,
    fn: RegisteredFunction,
    event_ids: list[str],
    now: int,
    effects: Effects,
    *,
    parent: tuple[str, str] | None = None,
    delay_ms: int = 0,
) -> str | None:
    """Start a run unless flow control says otherwise; returns its id."""
    store = core.store
    event = store.events_by_internal_id(event_ids[:1])[0]
    decision = admit(fn.id, fn.config, event, now, store, delay_ms)
    for kind, key in decision.marks:
        store.add_mark(kind, fn.id, key, now)
    if decision.skip is not None:
        store.bump("runs_skipped")
        log.info("run skipped", extra={"function_id": fn.id, "reason": decision.skip})
        return None
    for active in decision.cancel:
        finish(core, active, RunStatus.CANCELLED, None, None, now, effects)
    if decision.throttle is not None:
        store.put_throttle(fn.id, *decision.throttle)
    run = RunRow(
        id=new_ulid(),
        function_id=fn.id,
        status=RunStatus.QUEUED,
        event_ids=event_ids,
        created_at=now,
        started_at=None,
        ended_at=None,
        output=None,
        error=None,
        parent_run_id=parent[0] if parent else None,
        parent_step_id=parent[1] if parent else None,
        concurrency_keys=decision.concurrency,
        priority_ms=decision.priority_ms,
        singleton_key=decision.singleton_key,
        state_bytes=0,
        start_deadline=decision.start_deadline,
    )
    store.insert_run(run)
    store.enqueue(run.id, QueueKind.CALL, decision.start_at, priority_ms=run.priority_ms)
    store.bump("runs_started")
    effects.wake = True
    log.info("run scheduled", extra={"run_id": run.id, "function_id": fn.id})
    return run.id


def finish(
    core: Core,
    run: RunRow,
    status: RunStatus,
    output: Any,
    error: Any,
    now: int,
    effects: Effects,
    reason: str | None = None,
) -> bool:
    """End a run, resume an invoking parent, and emit Inngest's lifecycle events.

    ``reason`` is the executor's word for a failed call (``invalid status code: 500``),
    which Inngest puts in the ``error`` field of the failure it reports. False when the
    run had already ended.
    """
    store = core.store
    if not store.finish_run(run.id, status, output, error, now):
        return False
    store.bump(f"runs_{status.lower()}")
    effects.finished_runs.append(run.id)
    effects.wake = True
    log.info(
        "run finished",
        extra={"run_id": run.id, "function_id": run.function_id, "status": status},
    )
    failure = standard_error(error, reason) if status == RunStatus.FAILED else None
    if run.parent_run_id and run.parent_step_id:
        parent = core.store.get_run(run.parent_run_id)
        if parent is not None and not parent.status.is_final:
            _resume_parent(core, parent, run.parent_step_id, status, output, failure, now, effects)
    events = store.events_by_internal_id(run.event_ids)
    event = events[0] if events else {}
    if event.get("name") in (InternalEvent.FINISHED, InternalEvent.FAILED):
        return True  # an on_failure handler's own end triggers nothing more
    data: dict[str, Any] = {
        "function_id": run.function_id,
        "run_id": run.id,
        "event": event,
        "events": events,
    }
    if failure is not None:
        data["error"] = failure
    elif status == RunStatus.COMPLETED and output is not None:
        data["result"] = output
    data["_inngest"] = {"status": status}
    effects.emit.append({"name": InternalEvent.FINISHED, "data": data})
    if status != RunStatus.COMPLETED:
        # The run id as event id, as Inngest does: one such event per run.
        name = InternalEvent.FAILED if status == RunStatus.FAILED else InternalEvent.CANCELLED
        effects.emit.append({"name": name, "data": data, "id": run.id})
    return True


def _resume_parent(
    core: Core,
    parent: RunRow,
    step_id: str,
    status: RunStatus,
    output: Any,
    failure: dict[str, Any] | None,
    now: int,
    effects: Effects,
) -> None:
    """Memoize an invoked run's end in the parent step that invoked it."""
    core.store.delete_items(parent.id, QueueKind.INVOKE_TIMEOUT, step_id)
    if status == RunStatus.COMPLETED:
        memo, step_status = {"data": output}, StepStatus.COMPLETED
    else:
        error = failure or plain_error("invoked function was cancelled")
        memo, step_status = {"error": error}, StepStatus.FAILED
    resolve_step(core, parent, step_id, memo, step_status, now, effects)


def memoize_new(
    core: Core,
    run: RunRow,
    step_id: str,
    name: str,
    op: str,
    memo: Any,
    now: int,
    effects: Effects,
    status: StepStatus = StepStatus.COMPLETED,
) -> bool:
    """Store a step's result; False when a limit failed the run instead."""
    text = dumps(memo)
    if len(text) > MAX_STEP_OUTPUT_BYTES:
        fail_limit(core, run, f"step {name!r} returned {len(text):,} bytes", now, effects)
        return False
    if core.store.add_state_bytes(run.id, len(text)) > MAX_RUN_STATE_BYTES:
        fail_limit(core, run, "the run's state went past 32 MiB", now, effects)
        return False
    core.store.upsert_step(
        run.id,
        step_id,
        name=name,
        op=op,
        status=status,
        now=now,
        memo=text,
        error=memo.get("error") if isinstance(memo, dict) else None,
        attempt_done=True,
    )
    return True


def resolve_step(
    core: Core,
    run: RunRow,
    step_id: str,
    memo: Any,
    status: StepStatus,
    now: int,
    effects: Effects,
) -> None:
    """Resolve a pending step (sleep, wait, invoke) and let the run continue."""
    step = core.store.get_step(run.id, step_id)
    if step is None or step.memo is not None:
        return
    if not memoize_new(core, run, step_id, step.name, step.op, memo, now, effects, status):
        return
    discover(core, run, now)
    effects.wake = True


def discover(core: Core, run: RunRow, at: int) -> None:
    """Call the function again so it reports what comes after its newest memo."""
    core.store.enqueue_discovery(run.id, at, run.priority_ms)


def fail_limit(core: Core, run: RunRow, detail: str, now: int, effects: Effects) -> None:
    error = plain_error(f"run exceeded a limit: {detail} ({LIMITS})", name="LimitExceededError")
    log.warning("run exceeded a limit", extra={"run_id": run.id, "detail": detail})
    finish(core, run, RunStatus.FAILED, None, error, now, effects)
