"""Flow control as pure functions of state: each rule decided without an app or HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from sourcesync.engine.admission import admit, cancels, debounce_fire_at, gcra, is_triggered
from sourcesync.engine.enums import MarkKind, RunStatus
from sourcesync.engine.function_config import Cancel, FunctionConfig, Throttle
from sourcesync.engine.state import RunRow

NOW = 1_700_000_000_000
EVENT = {"name": "t/go", "data": {"user": "u1", "n": 3}}


def config(**options: Any) -> FunctionConfig:
    raw = {
        "id": "fn",
        "triggers": [{"event": "t/go"}],
        "steps": {"step": {"id": "step", "name": "step", "runtime": {"type": "http", "url": "x"}}},
    }
    return FunctionConfig.model_validate(raw | options)


def run(run_id: str, created_at: int = NOW) -> RunRow:
    return RunRow(
        id=run_id,
        function_id="fn",
        status=RunStatus.RUNNING,
        event_ids=["e"],
        created_at=created_at,
        started_at=None,
        ended_at=None,
        output=None,
        error=None,
        parent_run_id=None,
        parent_step_id=None,
        concurrency_keys=[],
        priority_ms=0,
        singleton_key=None,
        state_bytes=0,
        start_deadline=None,
    )


@dataclass
class FakeFlowState:
    marks: dict[tuple[MarkKind, str], list[int]] = field(default_factory=dict)
    active: list[RunRow] = field(default_factory=list)
    throttles: dict[str, int] = field(default_factory=dict)

    def count_marks(self, kind: MarkKind, fn_id: str, key: str, since: int) -> int:
        return len([at for at in self.marks.get((kind, key), []) if at > since])

    def active_runs(self, function_id: str, singleton_key: str | None = None) -> list[RunRow]:
        return self.active

    def get_throttle(self, fn_id: str, key: str) -> int | None:
        return self.throttles.get(key)


def test_a_plain_function_starts_now_with_no_marks() -> None:
    decision = admit("fn", config(), EVENT, NOW, FakeFlowState())
    assert decision.skip is None
    assert decision.start_at == NOW
    assert decision.marks == []


def test_rate_limit_skips_past_its_limit_and_counts_by_key() -> None:
    cfg = config(rateLimit={"limit": 2, "period": "1m", "key": "event.data.user"})
    state = FakeFlowState(marks={(MarkKind.RATE, "u1"): [NOW - 1_000, NOW - 2_000]})
    assert admit("fn", cfg, EVENT, NOW, state).skip == "rate limited"
    state.marks[(MarkKind.RATE, "u1")] = [NOW - 61_000, NOW - 1_000]
    decision = admit("fn", cfg, EVENT, NOW, state)
    assert decision.skip is None
    assert decision.marks == [(MarkKind.RATE, "u1")]


def test_idempotency_skips_a_repeated_key_within_24_hours() -> None:
    cfg = config(idempotency="event.data.user")
    state = FakeFlowState(marks={(MarkKind.IDEMPOTENCY, "u1"): [NOW - 3_600_000]})
    assert admit("fn", cfg, EVENT, NOW, state).skip == "idempotency key already used"
    state.marks[(MarkKind.IDEMPOTENCY, "u1")] = [NOW - 25 * 3_600_000]
    assert admit("fn", cfg, EVENT, NOW, state).marks == [(MarkKind.IDEMPOTENCY, "u1")]


def test_singleton_skip_and_cancel() -> None:
    active = [run("01A"), run("01B")]
    skip = config(singleton={"mode": "skip"})
    assert admit("fn", skip, EVENT, NOW, FakeFlowState(active=active)).skip is not None
    cancel = config(singleton={"mode": "cancel", "key": "event.data.user"})
    decision = admit("fn", cancel, EVENT, NOW, FakeFlowState(active=active))
    assert decision.skip is None
    assert [r.id for r in decision.cancel] == ["01A", "01B"]
    assert decision.singleton_key == "u1"


def test_throttle_delays_past_the_burst() -> None:
    throttle = Throttle(limit=2, period="1s", burst=2)
    start, tat = gcra(throttle, None, NOW)
    assert (start, tat) == (NOW, NOW + 500)
    start, tat = gcra(throttle, tat, NOW)
    assert start == NOW
    start, _ = gcra(throttle, tat, NOW)
    assert start == NOW + 500


def test_concurrency_keys_priority_and_start_deadline() -> None:
    cfg = config(
        concurrency=[{"limit": 2, "key": "event.data.user"}, {"limit": 5, "scope": "env"}],
        priority={"run": "event.data.n * 1000"},
        timeouts={"start": "10s"},
    )
    decision = admit("fn", cfg, EVENT, NOW, FakeFlowState())
    assert decision.concurrency == [["fn:u1", 2], ["env:", 5]]
    assert decision.priority_ms == 600_000  # capped at 600 s, as on Inngest
    assert decision.start_deadline == NOW + 10_000


def test_debounce_fires_a_period_after_the_last_event_capped_by_its_timeout() -> None:
    assert debounce_fire_at("5s", None, NOW - 60_000, NOW) == NOW + 5_000
    assert debounce_fire_at("5s", "10s", NOW - 8_000, NOW) == NOW + 2_000


@pytest.mark.parametrize(
    ("name", "expected"), [("t/go", True), ("t/other", False), ("t/going", False)]
)
def test_triggers_by_name_and_expression(name: str, expected: bool) -> None:
    cfg = config(triggers=[{"event": "t/go", "expression": "event.data.n > 2"}])
    assert is_triggered(cfg, {"name": name, "data": {"n": 3}}) is expected
    assert is_triggered(cfg, {"name": "t/go", "data": {"n": 1}}) is False


def test_cancel_rules_match_within_their_timeout() -> None:
    rule = Cancel.model_validate(
        {"event": "t/stop", "if": "event.data.user == async.data.user", "timeout": "1m"}
    )
    stop = {"name": "t/stop", "data": {"user": "u1"}}
    assert cancels(rule, run("01A"), EVENT, stop, NOW + 1_000)
    assert not cancels(rule, run("01A"), EVENT, stop, NOW + 61_000)
    assert not cancels(rule, run("01A"), EVENT, {"name": "t/stop", "data": {"user": "u2"}}, NOW)
