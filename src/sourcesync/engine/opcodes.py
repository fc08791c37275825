"""Applying an app's answer to a call: the run's output, a retry, or one handler per
opcode it reported (SDK spec section 5; Inngest's ``handleGenerator*``)."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .config import MAX_STEP_OUTPUT_BYTES, MAX_STEPS_PER_RUN, EngineConfig
from .core import Core, Effects
from .durations import parse_duration_ms
from .enums import (
    EXECUTED_OPCODES,
    PENDING_STEP_STATUSES,
    SCHEDULING_OPCODES,
    InternalEvent,
    Opcode,
    QueueKind,
    RunStatus,
    StepStatus,
)
from .ids import new_ulid
from .intake import validate_events
from .registry import RegisteredFunction
from .responses import Outcome, failure_reason, function_error, plain_error, sleep_until
from .runs import create_run, fail_limit, finish, memoize_new, resolve_step
from .state import QueueItem, RunRow, dumps

log = logging.getLogger("sourcesync.engine")


@dataclass(frozen=True, slots=True)
class Op:
    """One opcode of a 206 answer, with the call that reported it."""

    core: Core
    item: QueueItem
    run: RunRow
    fn: RegisteredFunction | None
    step_id: str
    name: str
    raw: dict[str, Any]
    opts: dict[str, Any]
    no_retry: bool
    now: int
    effects: Effects


# A handler returns whether the run progressed (a step got its result), or None when it
# ended the run and later opcodes must be ignored.
Handler = Callable[[Op], bool | None]


def backoff(config: EngineConfig, attempt: int) -> int:
    """Exponential backoff with jitter, capped at ``retry_max_ms``."""
    delay = min(config.retry_max_ms, config.retry_base_ms * 2**attempt)
    return int(delay * random.uniform(0.75, 1.25))


def apply_outcome(
    core: Core,
    item: QueueItem,
    run: RunRow,
    fn: RegisteredFunction | None,
    outcome: Outcome,
    now: int,
    effects: Effects,
) -> None:
    """Apply one call's outcome to its run (in the caller's transaction)."""
    if outcome.status == 200:
        size = len(dumps(outcome.body))
        if size > MAX_STEP_OUTPUT_BYTES:
            fail_limit(core, run, f"the function's output is {size:,} bytes", now, effects)
            return
        finish(core, run, RunStatus.COMPLETED, outcome.body, None, now, effects)
        return
    if outcome.status == 206 and isinstance(outcome.body, list):
        _apply_ops(core, item, run, fn, outcome.body, outcome.no_retry, now, effects)
        return
    error = function_error(outcome)
    retries = fn.config.retries if fn else 0
    if outcome.no_retry or item.attempt >= retries:
        reason = failure_reason(outcome)
        finish(core, run, RunStatus.FAILED, None, error, now, effects, reason)
        return
    core.store.set_run_error(run.id, error)
    retry_at = outcome.retry_at or now + backoff(core.config, item.attempt)
    _retry(core, item, run, retry_at)
    log.info("run will retry", extra={"run_id": run.id, "attempt": item.attempt + 1})


def _retry(core: Core, item: QueueItem, run: RunRow, at: int) -> None:
    core.store.enqueue(
        run.id,
        QueueKind.CALL,
        at,
        step_id=item.step_id,
        attempt=item.attempt + 1,
        priority_ms=run.priority_ms,
    )


def _apply_ops(
    core: Core,
    item: QueueItem,
    run: RunRow,
    fn: RegisteredFunction | None,
    ops: list[Any],
    no_retry: bool,
    now: int,
    effects: Effects,
) -> None:
    store = core.store
    if len(ops) > 1 and not run.force_step_plan:
        # After parallel steps Inngest has the SDK plan every step (the spec's
        # ``disable_immediate_execution``) for the rest of the run.
        store.set_force_step_plan(run.id)
    progressed = False
    race = False
    for raw in ops:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            error = plain_error("malformed step op")
            finish(core, run, RunStatus.FAILED, None, error, now, effects)
            return
        step_id: str = raw["id"]
        kind = raw.get("op")
        opts: dict[str, Any] = raw["opts"] if isinstance(raw.get("opts"), dict) else {}
        race = race or opts.get("parallelMode") == "race"
        if kind in EXECUTED_OPCODES:
            store.bump("steps_executed")
        existing, step_count = store.step_and_count(run.id, step_id)
        if existing is not None and existing.memo is not None:
            continue
        if (
            existing is not None
            and existing.status in PENDING_STEP_STATUSES
            and kind in SCHEDULING_OPCODES
        ):
            continue
        if existing is None and step_count >= MAX_STEPS_PER_RUN:
            fail_limit(core, run, f"more than {MAX_STEPS_PER_RUN:,} steps", now, effects)
            return
        handler = HANDLERS.get(str(kind))
        if handler is None:
            # An opcode Inngest knows (the answer was readable) but this engine lacks.
            error = plain_error(f"the embedded engine does not support step op {kind!r}")
            finish(core, run, RunStatus.FAILED, None, error, now, effects)
            return
        name = str(raw.get("displayName") or raw.get("name") or step_id)
        op = Op(core, item, run, fn, step_id, name, raw, opts, no_retry, now, effects)
        result = handler(op)
        if result is None:
            return
        progressed = progressed or result
    if progressed and race:
        # Race mode continues after every completion, not only the last one.
        store.enqueue(run.id, QueueKind.CALL, now, priority_ms=run.priority_ms)
    elif progressed:
        store.enqueue_discovery(run.id, now, run.priority_ms)


def _memoize(op: Op, memo: Any, status: StepStatus = StepStatus.COMPLETED) -> bool | None:
    kind = str(op.raw.get("op"))
    ok = memoize_new(op.core, op.run, op.step_id, op.name, kind, memo, op.now, op.effects, status)
    return True if ok else None


def step_run(op: Op) -> bool | None:
    """A step's body ran: memoize its data."""
    return _memoize(op, {"data": op.raw.get("data")})


def step_error(op: Op) -> bool | None:
    """A step's body raised: retry the call, or memoize the error when retries are spent
    or the SDK said not to retry (``X-Inngest-No-Retry``, e.g. a nested step)."""
    retries = op.fn.config.retries if op.fn is not None else 0
    if op.no_retry or op.item.attempt >= retries:
        return step_failed(op)
    op.core.store.upsert_step(
        op.run.id,
        op.step_id,
        name=op.name,
        op=Opcode.STEP_ERROR,
        status=StepStatus.ERRORED,
        now=op.now,
        error=op.raw.get("error"),
        attempt_done=True,
    )
    _retry(op.core, op.item, op.run, op.now + backoff(op.core.config, op.item.attempt))
    return False


def step_failed(op: Op) -> bool | None:
    """A step failed for good: memoize the error for the SDK to raise."""
    error = op.raw.get("error") or plain_error("step failed")
    return _memoize(op, {"error": error}, StepStatus.FAILED)


def _schedule(op: Op, status: StepStatus, opts: dict[str, Any] | None = None) -> None:
    op.core.store.upsert_step(
        op.run.id,
        op.step_id,
        name=op.name,
        op=str(op.raw.get("op")),
        status=status,
        now=op.now,
        opts=opts,
    )


def step_planned(op: Op) -> bool:
    """A step to run on its own: one targeted call (``stepId``) for it."""
    _schedule(op, StepStatus.PLANNED)
    op.core.store.enqueue(
        op.run.id, QueueKind.CALL, op.now, step_id=op.step_id, priority_ms=op.run.priority_ms
    )
    return False


def sleep(op: Op) -> bool:
    until = sleep_until(op.raw, op.now)
    _schedule(op, StepStatus.SLEEPING, {**op.opts, "until": until})
    op.core.store.enqueue(op.run.id, QueueKind.SLEEP, until, step_id=op.step_id)
    return False


def wait_for_event(op: Op) -> bool:
    """Register a wait: only events after it match (CEL over ``event`` and ``async``)."""
    expires = op.now + parse_duration_ms(str(op.opts.get("timeout") or "0s"))
    _schedule(op, StepStatus.WAITING, op.opts)
    expression = op.opts.get("if")
    store = op.core.store
    store.add_wait(op.run.id, op.step_id, str(op.raw.get("name")), expression, expires)
    store.enqueue(op.run.id, QueueKind.WAIT_TIMEOUT, expires, step_id=op.step_id)
    return False


def invoke_function(op: Op) -> bool:
    """Start a child run through ``inngest/function.invoked``; its end resolves the step."""
    _schedule(op, StepStatus.INVOKING, op.opts)
    core, run, opts = op.core, op.run, op.opts
    target_id = str(opts.get("function_id", ""))
    target = core.registry.get(target_id)
    if target is None:
        error = plain_error(f"function {target_id!r} is not registered")
        resolve_step(core, run, op.step_id, {"error": error}, StepStatus.FAILED, op.now, op.effects)
        return False
    payload: dict[str, Any] = opts["payload"] if isinstance(opts.get("payload"), dict) else {}
    data: dict[str, Any] = payload["data"] if isinstance(payload.get("data"), dict) else {}
    event: dict[str, Any] = {
        "name": InternalEvent.INVOKED,
        "data": {
            **data,
            "_inngest": {
                "source_app_id": "",
                "source_fn_id": run.function_id,
                "source_run_id": run.id,
                "source_step_id": op.step_id,
            },
        },
    }
    if payload.get("v"):
        event["v"] = payload["v"]
    validated = validate_events(event)[0]
    internal_id = new_ulid()
    validated["id"] = internal_id
    validated["ts"] = op.now
    core.store.insert_event(internal_id, validated, op.now)
    child = create_run(core, target, [internal_id], op.now, op.effects, parent=(run.id, op.step_id))
    if child is None:
        error = plain_error(f"invoking {target_id!r} was skipped by its flow control")
        resolve_step(core, run, op.step_id, {"error": error}, StepStatus.FAILED, op.now, op.effects)
        return False
    if opts.get("timeout"):
        expires = op.now + parse_duration_ms(str(opts["timeout"]))
        core.store.enqueue(run.id, QueueKind.INVOKE_TIMEOUT, expires, step_id=op.step_id)
    return False


def ai_gateway(op: Op) -> bool | None:
    """``step.ai`` needs Inngest's AI gateway, which the embedded engine does not have."""
    error = plain_error(
        "step.ai is not supported by the embedded engine; call the model inside "
        "step.run instead, or run this function on Inngest",
        name="NotSupportedError",
    )
    return _memoize(op, {"error": error}, StepStatus.FAILED)


def no_op(op: Op) -> bool:
    """``None``: an SDK ended one path of parallel steps; nothing follows from it."""
    return False


HANDLERS: dict[str, Handler] = {
    Opcode.STEP_RUN: step_run,
    Opcode.STEP: step_run,
    Opcode.NONE: no_op,
    Opcode.STEP_ERROR: step_error,
    Opcode.STEP_FAILED: step_failed,
    Opcode.STEP_PLANNED: step_planned,
    Opcode.SLEEP: sleep,
    Opcode.WAIT_FOR_EVENT: wait_for_event,
    Opcode.INVOKE_FUNCTION: invoke_function,
    Opcode.AI_GATEWAY: ai_gateway,
}
