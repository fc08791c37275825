"""Flow control as pure functions of state: whether, when and how a new run starts.

Nothing here writes: each function reads what it needs through ``FlowState`` and returns
a decision that ``runs.create_run`` applies in the caller's transaction, so every rule
is testable with a stand-in state and no app, HTTP or scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from . import expressions
from .config import IDEMPOTENCY_WINDOW_MS
from .durations import parse_duration_ms
from .enums import MarkKind
from .function_config import Cancel, FunctionConfig, Throttle
from .state import RunRow

PRIORITY_LIMIT_S = 600


class FlowState(Protocol):
    """The reads flow control needs."""

    def count_marks(self, kind: MarkKind, fn_id: str, key: str, since: int) -> int: ...

    def active_runs(self, function_id: str, singleton_key: str | None = None) -> list[RunRow]: ...

    def get_throttle(self, fn_id: str, key: str) -> int | None: ...


@dataclass
class Admission:
    """What flow control decided for one new run.

    ``marks`` are recorded even when the run is skipped (a rate-limit slot is spent by
    the attempt), and ``cancel`` lists singleton runs to cancel before this one starts,
    oldest first.
    """

    skip: str | None = None
    marks: list[tuple[MarkKind, str]] = field(default_factory=list)
    cancel: list[RunRow] = field(default_factory=list)
    singleton_key: str | None = None
    start_at: int = 0
    throttle: tuple[str, int] | None = None
    concurrency: list[list[Any]] = field(default_factory=list)
    priority_ms: int = 0
    start_deadline: int | None = None


def admit(
    fn_id: str,
    config: FunctionConfig,
    event: dict[str, Any],
    now: int,
    state: FlowState,
    delay_ms: int = 0,
) -> Admission:
    """Decide a new run of ``fn_id`` for ``event``: rate limit, idempotency, singleton,
    throttle, concurrency keys, priority and start timeout, in Inngest's order."""
    variables = {"event": event}

    def key_of(source: str | None) -> str:
        return expressions.evaluate_key(source, variables)

    decision = Admission()
    if config.rate_limit is not None:
        key = key_of(config.rate_limit.key)
        window = now - parse_duration_ms(config.rate_limit.period)
        if state.count_marks(MarkKind.RATE, fn_id, key, window) >= config.rate_limit.limit:
            decision.skip = "rate limited"
            return decision
        decision.marks.append((MarkKind.RATE, key))
    if config.idempotency:
        key = key_of(config.idempotency)
        if state.count_marks(MarkKind.IDEMPOTENCY, fn_id, key, now - IDEMPOTENCY_WINDOW_MS):
            decision.skip = "idempotency key already used"
            return decision
        decision.marks.append((MarkKind.IDEMPOTENCY, key))
    if config.singleton is not None:
        decision.singleton_key = key_of(config.singleton.key)
        active = state.active_runs(fn_id, decision.singleton_key)
        if active and config.singleton.mode == "skip":
            decision.skip = "singleton run in progress"
            return decision
        decision.cancel = active
    decision.start_at = now + delay_ms
    if config.throttle is not None:
        key = key_of(config.throttle.key)
        start, tat = gcra(config.throttle, state.get_throttle(fn_id, key), decision.start_at)
        decision.start_at = start
        decision.throttle = (key, tat)
    for limit in config.concurrency or []:
        scope = limit.scope or "fn"
        owner = fn_id if scope == "fn" else scope
        decision.concurrency.append([f"{owner}:{key_of(limit.key)}", limit.limit])
    priority = expressions.evaluate_number(
        config.priority.run if config.priority else None, variables
    )
    decision.priority_ms = int(max(-PRIORITY_LIMIT_S, min(PRIORITY_LIMIT_S, priority)) * 1000)
    timeouts = config.timeouts
    if timeouts and timeouts.start:
        decision.start_deadline = now + parse_duration_ms(timeouts.start)
    return decision


def gcra(throttle: Throttle, previous_tat: int | None, at: int) -> tuple[int, int]:
    """GCRA: ``limit`` starts per period, ``burst`` at once; excess starts are delayed.

    Returns when the run may start and the new theoretical arrival time to store.
    """
    interval = parse_duration_ms(throttle.period) / throttle.limit
    burst = throttle.burst or 1
    previous = previous_tat or 0
    start = max(at, int(previous - (burst - 1) * interval))
    return start, int(max(previous, start) + interval)


def debounce_fire_at(period: str, timeout: str | None, first_at: int, now: int) -> int:
    """When a debounce fires: ``period`` after the latest event, capped by ``timeout``
    after the first one."""
    fire_at = now + parse_duration_ms(period)
    if timeout:
        fire_at = min(fire_at, first_at + parse_duration_ms(timeout))
    return fire_at


def is_triggered(config: FunctionConfig, event: dict[str, Any]) -> bool:
    """Whether an event triggers the function (name, wildcard, and ``if`` expression)."""
    name = event["name"]
    return any(
        trigger.matches_name(name) and expressions.matches(trigger.expression, {"event": event})
        for trigger in config.event_triggers
    )


def cancels(
    rule: Cancel, run: RunRow, run_event: dict[str, Any], event: dict[str, Any], now: int
) -> bool:
    """Whether ``event`` cancels ``run`` under a ``cancel`` rule (within its timeout)."""
    if rule.event != event["name"]:
        return False
    if rule.timeout and now > run.created_at + parse_duration_ms(rule.timeout):
        return False
    return expressions.matches(rule.if_exp, {"event": run_event, "async": event})
