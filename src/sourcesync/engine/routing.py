"""Where events go: the functions they trigger (directly, or through a batch or a
debounce), the waits they resolve, and the runs they cancel."""

from __future__ import annotations

from typing import Any

from . import expressions
from .admission import cancels, debounce_fire_at, is_triggered
from .clock import now_ms
from .core import Core, Effects
from .durations import parse_duration_ms
from .enums import QueueKind, RunStatus, StepStatus
from .ids import new_ulid
from .registry import RegisteredFunction
from .runs import create_run, finish, resolve_step
from .state import DebounceRow, RunRow


def ingest_one(core: Core, event: dict[str, Any], effects: Effects) -> str:
    """Store a validated event (once per id) and route it; returns its internal id."""
    now = now_ms()
    event.setdefault("ts", now)
    if "id" in event:
        existing = core.store.find_event(event["id"])
        if existing is not None:
            return existing.internal_id
    internal_id = new_ulid()
    event.setdefault("id", internal_id)
    core.store.insert_event(internal_id, event, now)
    _route(core, internal_id, event, now, effects)
    return internal_id


def drain(core: Core, effects: Effects) -> None:
    """Ingest the internal events the transaction emitted (and those they emit)."""
    while effects.emit:
        ingest_one(core, effects.emit.pop(0), effects)


def first_event(core: Core, run: RunRow) -> dict[str, Any]:
    events = core.store.events_by_internal_id(run.event_ids[:1])
    return events[0] if events else {}


def _route(core: Core, internal_id: str, event: dict[str, Any], now: int, effects: Effects) -> None:
    name = event["name"]
    for fn in core.registry.all():
        if is_triggered(fn.config, event):
            _trigger(core, fn, internal_id, event, now, effects)
    for wait in core.store.waits_for(name):
        run = core.store.get_run(wait.run_id)
        if run is None:
            continue
        variables = {"event": first_event(core, run), "async": event}
        if expressions.matches(wait.expression, variables):
            core.store.remove_wait(run.id, wait.step_id)
            core.store.delete_items(run.id, QueueKind.WAIT_TIMEOUT, wait.step_id)
            resolve_step(core, run, wait.step_id, event, StepStatus.COMPLETED, now, effects)
    for fn in core.registry.all():
        rules = [rule for rule in fn.config.cancel or [] if rule.event == name]
        if not rules:
            continue
        for run in core.store.active_runs(fn.id):
            run_event = first_event(core, run)
            if any(cancels(rule, run, run_event, event, now) for rule in rules):
                finish(core, run, RunStatus.CANCELLED, None, None, now, effects)


def _trigger(
    core: Core,
    fn: RegisteredFunction,
    internal_id: str,
    event: dict[str, Any],
    now: int,
    effects: Effects,
) -> None:
    config = fn.config
    store = core.store
    variables = {"event": event}
    if config.batch_events is not None:
        batch = config.batch_events
        key = expressions.evaluate_key(batch.key, variables)
        ids = [*(store.get_batch(fn.id, key) or []), internal_id]
        if len(ids) >= batch.max_size:
            store.delete_batch(fn.id, key)
            create_run(core, fn, ids, now, effects)
        else:
            store.put_batch(fn.id, key, ids, now + parse_duration_ms(batch.timeout))
            effects.wake = True
        return
    if config.debounce is not None:
        debounce = config.debounce
        key = expressions.evaluate_key(debounce.key, variables)
        existing = store.get_debounce(fn.id, key)
        first_at = existing.first_at if existing else now
        fire_at = debounce_fire_at(debounce.period, debounce.timeout, first_at, now)
        store.put_debounce(DebounceRow(fn.id, key, internal_id, first_at, fire_at))
        effects.wake = True
        return
    create_run(core, fn, [internal_id], now, effects)
