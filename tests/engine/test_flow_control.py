"""Conformance of function options: triggers, retries, flow control, cancellation, timeouts.

Each behaviour is one small inngest-py function run on the real engine (in-process app).
Nothing here asserts elapsed wall-clock time: delays are checked through the scheduled
``run_at`` of queue items, and waits only bound how long a test may take. The SDK refuses
durations under one second, so the few timers that must really fire use one second.
"""

from __future__ import annotations

import asyncio
import datetime
import threading
import time
from collections.abc import Callable
from typing import Any

import inngest
import pytest

from sourcesync.engine import Engine, RunRow
from tests.engine.conftest import make_client, serve

SECOND = datetime.timedelta(seconds=1)


# -- helpers ------------------------------------------------------------------


async def eventually(probe: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    """Poll ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what or probe}")
        await asyncio.sleep(0.02)


def internal_id(engine: Engine, event_id: str) -> str:
    found = engine.state.find_event(event_id)
    assert found is not None, f"event {event_id} was not stored"
    return found.internal_id


def runs_of_event(engine: Engine, event_id: str) -> list[RunRow]:
    """The runs an event created so far (routing is synchronous with ``send``)."""
    return engine.state.runs_for_event(internal_id(engine, event_id))


def queued_calls(engine: Engine, run_id: str) -> list[tuple[int, int]]:
    """(attempt, run_at) of the run's pending app calls, in queue order."""
    rows = engine.state._all(
        "SELECT attempt, run_at FROM queue WHERE run_id = ? AND kind = 'call' ORDER BY id",
        (run_id,),
    )
    return [(int(r[0]), int(r[1])) for r in rows]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


async def until(condition: Callable[[], bool], timeout: float) -> None:
    """Inside a step body: poll ``condition`` (set from other threads) for up to ``timeout``."""
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)


class Gauge:
    """Counts step bodies executing at once (they run on the engine's worker threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.current: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.total_peak = 0
        self.order: list[str] = []

    def enter(self, key: str = "") -> None:
        with self._lock:
            self.current[key] = self.current.get(key, 0) + 1
            self.peak[key] = max(self.peak.get(key, 0), self.current[key])
            self.total_peak = max(self.total_peak, sum(self.current.values()))
            self.order.append(key)

    def leave(self, key: str = "") -> None:
        with self._lock:
            self.current[key] -= 1

    def running(self) -> int:
        with self._lock:
            return sum(self.current.values())


# -- triggers -----------------------------------------------------------------


async def test_trigger_by_exact_event_name(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="exact", trigger=inngest.TriggerEvent(event="t/exact"))
    async def exact(ctx: inngest.Context) -> Any:
        return ctx.event.data["n"]

    await serve(engine, client, [exact])
    [other] = await engine.send({"name": "t/exact.more", "data": {"n": 0}})
    [prefix] = await engine.send({"name": "t/exac", "data": {"n": 0}})
    [hit] = await engine.send({"name": "t/exact", "data": {"n": 7}})

    assert runs_of_event(engine, other) == []
    assert runs_of_event(engine, prefix) == []
    [run] = await engine.wait_for_runs(hit)
    run = await engine.wait_for_run(run.id, timeout=10)
    assert run.status == "Completed"
    assert run.output == 7


async def test_trigger_by_wildcard_suffix(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="wild", trigger=inngest.TriggerEvent(event="shop/*"))
    async def wild(ctx: inngest.Context) -> Any:
        return ctx.event.name

    [fn_id] = await serve(engine, client, [wild])
    hits = await engine.send(
        [{"name": "shop/order.created", "data": {}}, {"name": "shop/refund", "data": {}}]
    )
    misses = await engine.send(
        [{"name": "shopping/order", "data": {}}, {"name": "other/shop/x", "data": {}}]
    )

    for event_id in misses:
        assert runs_of_event(engine, event_id) == []
    outputs = []
    for event_id in hits:
        [run] = await engine.wait_for_runs(event_id)
        run = await engine.wait_for_run(run.id, timeout=10)
        assert run.status == "Completed"
        assert run.function_id == fn_id
        outputs.append(run.output)
    assert outputs == ["shop/order.created", "shop/refund"]


async def test_trigger_expression_filters_events(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(
        fn_id="big-orders",
        trigger=inngest.TriggerEvent(event="t/order", expression="event.data.amount > 100"),
    )
    async def big_orders(ctx: inngest.Context) -> Any:
        return ctx.event.data["amount"]

    await serve(engine, client, [big_orders])
    [small, equal, big] = await engine.send(
        [
            {"name": "t/order", "data": {"amount": 50}},
            {"name": "t/order", "data": {"amount": 100}},
            {"name": "t/order", "data": {"amount": 150}},
        ]
    )

    assert runs_of_event(engine, small) == []
    assert runs_of_event(engine, equal) == []
    [run] = await engine.wait_for_runs(big)
    run = await engine.wait_for_run(run.id, timeout=10)
    assert run.status == "Completed"
    assert run.output == 150


async def test_cron_trigger_schedules_and_fires(engine: Engine) -> None:
    client = make_client(engine)
    seen: list[str] = []

    @client.create_function(fn_id="yearly", trigger=inngest.TriggerCron(cron="0 0 1 1 *"))
    async def yearly(ctx: inngest.Context) -> Any:
        seen.append(ctx.event.name)
        return ctx.event.data.get("cron")

    before = now_ms()
    [fn_id] = await serve(engine, client, [yearly])
    [next_at] = [row.cron_next_at for row in engine.state.functions() if row.id == fn_id]
    assert next_at is not None
    assert next_at > before
    fires = datetime.datetime.fromtimestamp(next_at / 1000, datetime.UTC)
    assert (fires.month, fires.day, fires.hour, fires.minute) == (1, 1, 0, 0)

    due = now_ms() - 1_000
    with engine.state.transaction():
        engine.state.set_cron_next(fn_id, due)
    engine.scheduler.wake.set()

    runs = await eventually(lambda: engine.state.list_runs(function_id=fn_id), what="the cron run")
    assert len(runs) == 1
    run = await engine.wait_for_run(runs[0].id, timeout=10)
    assert run.status == "Completed"
    assert run.output == "0 0 1 1 *"
    assert seen == ["inngest/scheduled.timer"]
    [event] = engine.state.events_by_internal_id(run.event_ids)
    assert event["name"] == "inngest/scheduled.timer"
    [rescheduled] = [row.cron_next_at for row in engine.state.functions() if row.id == fn_id]
    assert rescheduled is not None and rescheduled > now_ms()


# -- retries ------------------------------------------------------------------


async def test_default_retries_let_a_flaky_step_succeed(engine: Engine) -> None:
    client = make_client(engine)
    attempts: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) <= 2:
            raise RuntimeError(f"flake {len(attempts)}")
        return "ok"

    @client.create_function(fn_id="flaky", trigger=inngest.TriggerEvent(event="t/flaky"))
    async def flaky_fn(ctx: inngest.Context) -> Any:
        return await ctx.step.run("flaky", flaky)

    await serve(engine, client, [flaky_fn])
    [event_id] = await engine.send({"name": "t/flaky", "data": {}})
    [run] = await engine.wait_for_runs(event_id)
    run = await engine.wait_for_run(run.id, timeout=10)
    assert run.status == "Completed"
    assert run.output == "ok"
    assert len(attempts) == 3


async def test_default_retries_are_four(engine: Engine) -> None:
    client = make_client(engine)
    attempts: list[int] = []

    def broken() -> str:
        attempts.append(1)
        raise RuntimeError("always")

    @client.create_function(fn_id="broken", trigger=inngest.TriggerEvent(event="t/broken"))
    async def broken_fn(ctx: inngest.Context) -> Any:
        return await ctx.step.run("broken", broken)

    await serve(engine, client, [broken_fn])
    [event_id] = await engine.send({"name": "t/broken", "data": {}})
    [run] = await engine.wait_for_runs(event_id)
    run = await engine.wait_for_run(run.id, timeout=15)
    assert run.status == "Failed"
    assert len(attempts) == 5  # the first attempt and 4 retries
    assert run.error["message"] == "always"


async def test_zero_retries_fail_at_once(engine: Engine) -> None:
    client = make_client(engine)
    attempts: list[int] = []

    def broken() -> str:
        attempts.append(1)
        raise RuntimeError("no second chance")

    @client.create_function(
        fn_id="no-retry", retries=0, trigger=inngest.TriggerEvent(event="t/no-retry")
    )
    async def no_retry(ctx: inngest.Context) -> Any:
        return await ctx.step.run("broken", broken)

    await serve(engine, client, [no_retry])
    [event_id] = await engine.send({"name": "t/no-retry", "data": {}})
    [run] = await engine.wait_for_runs(event_id)
    run = await engine.wait_for_run(run.id, timeout=10)
    assert run.status == "Failed"
    assert len(attempts) == 1
    assert run.error["message"] == "no second chance"


async def test_zero_retries_function_level_error_fails_at_once(engine: Engine) -> None:
    client = make_client(engine)
    attempts: list[int] = []

    @client.create_function(
        fn_id="no-retry-fn", retries=0, trigger=inngest.TriggerEvent(event="t/no-retry-fn")
    )
    async def no_retry_fn(ctx: inngest.Context) -> Any:
        attempts.append(ctx.attempt)
        raise ValueError("body failed")

    await serve(engine, client, [no_retry_fn])
    [event_id] = await engine.send({"name": "t/no-retry-fn", "data": {}})
    [run] = await engine.wait_for_runs(event_id)
    run = await engine.wait_for_run(run.id, timeout=10)
    assert run.status == "Failed"
    assert attempts == [0]
    assert run.error["name"] == "ValueError"


async def test_non_retriable_error_fails_at_once(engine: Engine) -> None:
    client = make_client(engine)
    attempts: list[int] = []

    def fatal() -> str:
        attempts.append(1)
        raise inngest.NonRetriableError("give up")

    @client.create_function(fn_id="fatal", retries=3, trigger=inngest.TriggerEvent(event="t/fatal"))
    async def fatal_fn(ctx: inngest.Context) -> Any:
        return await ctx.step.run("fatal", fatal)

    await serve(engine, client, [fatal_fn])
    [event_id] = await engine.send({"name": "t/fatal", "data": {}})
    [run] = await engine.wait_for_runs(event_id)
    run = await engine.wait_for_run(run.id, timeout=10)
    assert run.status == "Failed"
    assert len(attempts) == 1
    assert run.error["message"] == "give up"


async def test_retry_after_error_schedules_the_next_attempt(engine: Engine) -> None:
    client = make_client(engine)
    requested = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)).replace(
        microsecond=0
    )
    requested_ms = int(requested.timestamp()) * 1000
    attempts: list[int] = []

    def later() -> str:
        attempts.append(1)
        raise inngest.RetryAfterError("not yet", retry_after=requested)

    @client.create_function(fn_id="later", retries=2, trigger=inngest.TriggerEvent(event="t/later"))
    async def later_fn(ctx: inngest.Context) -> Any:
        return await ctx.step.run("later", later)

    await serve(engine, client, [later_fn])
    [event_id] = await engine.send({"name": "t/later", "data": {}})
    [run] = await engine.wait_for_runs(event_id)

    calls = await eventually(
        lambda: [c for c in queued_calls(engine, run.id) if c[0] == 1], what="the retry"
    )
    assert len(calls) == 1
    _, run_at = calls[0]
    assert run_at >= requested_ms
    assert run_at < requested_ms + 60_000
    assert len(attempts) == 1
    current = engine.state.get_run(run.id)
    assert current is not None and current.status == "Running"
    engine.cancel(run.id)


# -- concurrency --------------------------------------------------------------


async def _hold(gauge: Gauge, key: str, peers: int, hold: float = 0.05) -> None:
    """Stay inside the step body until ``peers`` bodies run at once (or 1s passes)."""
    gauge.enter(key)
    try:
        await until(lambda: gauge.running() >= peers, timeout=1.0)
        await asyncio.sleep(hold)
    finally:
        gauge.leave(key)


async def test_concurrency_limit_caps_parallel_steps(engine: Engine) -> None:
    client = make_client(engine)
    gauge = Gauge()

    @client.create_function(
        fn_id="limited",
        concurrency=[inngest.Concurrency(limit=2)],
        trigger=inngest.TriggerEvent(event="t/limited"),
    )
    async def limited(ctx: inngest.Context) -> Any:
        async def body() -> int:
            await _hold(gauge, "", peers=2, hold=0.1)
            return int(ctx.event.data["n"])

        return await ctx.step.run("work", body)

    await serve(engine, client, [limited])
    event_ids = await engine.send([{"name": "t/limited", "data": {"n": n}} for n in range(6)])
    outputs = []
    for event_id in event_ids:
        [run] = await engine.wait_for_runs(event_id)
        run = await engine.wait_for_run(run.id, timeout=20)
        assert run.status == "Completed"
        outputs.append(run.output)
    assert outputs == list(range(6))
    assert gauge.total_peak == 2
    assert len(gauge.order) == 6


async def test_keyed_concurrency_serializes_per_key(engine: Engine) -> None:
    client = make_client(engine)
    gauge = Gauge()

    @client.create_function(
        fn_id="per-user",
        concurrency=[inngest.Concurrency(limit=1, key="event.data.user")],
        trigger=inngest.TriggerEvent(event="t/per-user"),
    )
    async def per_user(ctx: inngest.Context) -> Any:
        user = str(ctx.event.data["user"])

        async def body() -> str:
            await _hold(gauge, user, peers=2)
            return user

        return await ctx.step.run("work", body)

    await serve(engine, client, [per_user])
    event_ids = await engine.send(
        [{"name": "t/per-user", "data": {"user": u}} for u in ["a", "b", "a", "b", "a", "b"]]
    )
    for event_id in event_ids:
        [run] = await engine.wait_for_runs(event_id)
        run = await engine.wait_for_run(run.id, timeout=20)
        assert run.status == "Completed"
    assert gauge.peak == {"a": 1, "b": 1}
    assert gauge.total_peak == 2


# -- cancellation and timeouts ------------------------------------------------


async def test_cancel_on_matching_event(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(
        fn_id="sleeper",
        cancel=[inngest.Cancel(event="t/stop", if_exp="event.data.id == async.data.id")],
        trigger=inngest.TriggerEvent(event="t/sleep"),
    )
    async def sleeper(ctx: inngest.Context) -> Any:
        await ctx.step.sleep("nap", datetime.timedelta(minutes=10))
        return "woke"

    await serve(engine, client, [sleeper])
    first_id, second_id = await engine.send(
        [{"name": "t/sleep", "data": {"id": 1}}, {"name": "t/sleep", "data": {"id": 2}}]
    )
    [first] = await engine.wait_for_runs(first_id)
    [second] = await engine.wait_for_runs(second_id)
    for run in (first, second):
        await eventually(
            lambda run=run: any(s.status == "sleeping" for s in engine.state.steps(run.id)),
            what="the sleep",
        )

    await engine.send({"name": "t/stop", "data": {"id": 3}})
    for run in (first, second):
        current = engine.state.get_run(run.id)
        assert current is not None and current.status == "Running"

    await engine.send({"name": "t/stop", "data": {"id": 1}})
    cancelled = await engine.wait_for_run(first.id, timeout=10)
    assert cancelled.status == "Cancelled"
    still = engine.state.get_run(second.id)
    assert still is not None and still.status == "Running"
    notices = engine.state.list_events("inngest/function.cancelled", 10)
    assert [body["data"]["run_id"] for _, body, _ in notices] == [first.id]
    engine.cancel(second.id)


async def test_timeouts_finish_cancels_a_long_run(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(
        fn_id="too-long",
        timeouts=inngest.Timeouts(finish=SECOND),
        trigger=inngest.TriggerEvent(event="t/too-long"),
    )
    async def too_long(ctx: inngest.Context) -> Any:
        await ctx.step.sleep("nap", datetime.timedelta(minutes=10))
        return "woke"

    await serve(engine, client, [too_long])
    [event_id] = await engine.send({"name": "t/too-long", "data": {}})
    [run] = await engine.wait_for_runs(event_id)
    run = await engine.wait_for_run(run.id, timeout=10)
    assert run.status == "Cancelled"
    assert run.output is None


async def test_timeouts_start_cancels_a_run_that_waited_too_long(engine: Engine) -> None:
    client = make_client(engine)
    release = threading.Event()
    started: list[str] = []

    @client.create_function(
        fn_id="late-start",
        concurrency=[inngest.Concurrency(limit=1)],
        timeouts=inngest.Timeouts(start=SECOND),
        trigger=inngest.TriggerEvent(event="t/late-start"),
    )
    async def late_start(ctx: inngest.Context) -> Any:
        name = str(ctx.event.data["name"])

        async def body() -> str:
            started.append(name)
            if name == "blocker":
                await until(release.is_set, timeout=20)
            return name

        return await ctx.step.run("work", body)

    await serve(engine, client, [late_start])
    [blocker_id] = await engine.send({"name": "t/late-start", "data": {"name": "blocker"}})
    await eventually(lambda: started == ["blocker"], what="the blocker to start")
    [waiter_id] = await engine.send({"name": "t/late-start", "data": {"name": "waiter"}})
    [waiter] = await engine.wait_for_runs(waiter_id)
    # Let the waiter's start deadline pass while the blocker holds the only slot.
    await asyncio.sleep(1.3)
    release.set()

    [blocker] = await engine.wait_for_runs(blocker_id)
    blocker = await engine.wait_for_run(blocker.id, timeout=10)
    assert blocker.status == "Completed"
    waiter = await engine.wait_for_run(waiter.id, timeout=10)
    assert waiter.status == "Cancelled"
    assert started == ["blocker"]


# -- lifecycle events ---------------------------------------------------------


async def test_on_failure_handler_gets_function_failed(engine: Engine) -> None:
    client = make_client(engine)
    received: list[dict[str, Any]] = []

    async def handle_failure(ctx: inngest.Context) -> Any:
        received.append({"name": ctx.event.name, "data": dict(ctx.event.data)})
        return "handled"

    @client.create_function(
        fn_id="doomed",
        retries=0,
        on_failure=handle_failure,
        trigger=inngest.TriggerEvent(event="t/doomed"),
    )
    async def doomed(ctx: inngest.Context) -> Any:
        raise ValueError("it broke")

    fn_ids = await serve(engine, client, [doomed])
    fn_id = "test-app-doomed"
    assert fn_ids == [fn_id, f"{fn_id}-failure"]
    [event_id] = await engine.send({"name": "t/doomed", "data": {"order": 42}})
    [run] = await engine.wait_for_runs(event_id)
    run = await engine.wait_for_run(run.id, timeout=10)
    assert run.status == "Failed"

    failure_runs = await eventually(
        lambda: engine.state.list_runs(function_id=f"{fn_id}-failure"),
        what="the failure handler run",
    )
    assert len(failure_runs) == 1
    handler_run = await engine.wait_for_run(failure_runs[0].id, timeout=10)
    assert handler_run.status == "Completed"
    assert handler_run.output == "handled"

    [event] = received
    assert event["name"] == "inngest/function.failed"
    data = event["data"]
    assert data["function_id"] == fn_id
    assert data["run_id"] == run.id
    assert data["error"]["name"] == "ValueError"
    assert data["error"]["message"] == "it broke"
    assert isinstance(data["error"]["stack"], str) and data["error"]["stack"]
    assert data["event"]["name"] == "t/doomed"
    assert data["event"]["data"] == {"order": 42}


async def test_function_finished_event_on_completion(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="fine", trigger=inngest.TriggerEvent(event="t/fine"))
    async def fine(ctx: inngest.Context) -> Any:
        return {"sum": ctx.event.data["a"] + ctx.event.data["b"]}

    [fn_id] = await serve(engine, client, [fine])
    [event_id] = await engine.send({"name": "t/fine", "data": {"a": 1, "b": 2}})
    [run] = await engine.wait_for_runs(event_id)
    run = await engine.wait_for_run(run.id, timeout=10)
    assert run.status == "Completed"

    finished = [
        body
        for _, body, _ in engine.state.list_events("inngest/function.finished", 10)
        if body["data"].get("run_id") == run.id
    ]
    assert len(finished) == 1
    data = finished[0]["data"]
    assert data["function_id"] == fn_id
    assert data["result"] == {"sum": 3}
    assert data["event"]["name"] == "t/fine"
    assert data["event"]["data"] == {"a": 1, "b": 2}
    assert engine.state.list_events("inngest/function.failed", 10) == []


# -- idempotency, debounce, throttle, rate limit --------------------------------


async def test_idempotency_key_allows_one_run(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(
        fn_id="once",
        idempotency="event.data.key",
        trigger=inngest.TriggerEvent(event="t/once"),
    )
    async def once(ctx: inngest.Context) -> Any:
        return ctx.event.data["n"]

    [fn_id] = await serve(engine, client, [once])
    first, again, other = await engine.send(
        [
            {"name": "t/once", "data": {"key": "a", "n": 1}},
            {"name": "t/once", "data": {"key": "a", "n": 2}},
            {"name": "t/once", "data": {"key": "b", "n": 3}},
        ]
    )
    [late] = await engine.send({"name": "t/once", "data": {"key": "a", "n": 4}})

    assert runs_of_event(engine, again) == []
    assert runs_of_event(engine, late) == []
    outputs = []
    for event_id in (first, other):
        [run] = await engine.wait_for_runs(event_id)
        run = await engine.wait_for_run(run.id, timeout=10)
        outputs.append(run.output)
    assert outputs == [1, 3]
    assert len(engine.state.list_runs(function_id=fn_id)) == 2


async def test_debounce_runs_once_with_the_last_event(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(
        fn_id="debounced",
        debounce=inngest.Debounce(period=SECOND, key="event.data.user"),
        trigger=inngest.TriggerEvent(event="t/debounced"),
    )
    async def debounced(ctx: inngest.Context) -> Any:
        return [ctx.event.data["user"], ctx.event.data["n"], len(ctx.events)]

    [fn_id] = await serve(engine, client, [debounced])
    burst = []
    for n in range(5):
        burst += await engine.send({"name": "t/debounced", "data": {"user": "a", "n": n}})
    [other] = await engine.send({"name": "t/debounced", "data": {"user": "b", "n": 9}})
    assert engine.state.list_runs(function_id=fn_id) == []

    [run_a] = await engine.wait_for_runs(burst[-1], timeout=10)
    [run_b] = await engine.wait_for_runs(other, timeout=10)
    run_a = await engine.wait_for_run(run_a.id, timeout=10)
    run_b = await engine.wait_for_run(run_b.id, timeout=10)
    assert run_a.output == ["a", 4, 1]
    assert run_b.output == ["b", 9, 1]
    for event_id in burst[:-1]:
        assert runs_of_event(engine, event_id) == []
    assert len(engine.state.list_runs(function_id=fn_id)) == 2


async def test_debounce_timeout_caps_the_delay(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(
        fn_id="capped",
        debounce=inngest.Debounce(period=datetime.timedelta(hours=1), timeout=SECOND),
        trigger=inngest.TriggerEvent(event="t/capped"),
    )
    async def capped(ctx: inngest.Context) -> Any:
        return ctx.event.data["n"]

    [fn_id] = await serve(engine, client, [capped])
    ids = await engine.send({"name": "t/capped", "data": {"n": 1}})
    ids += await engine.send({"name": "t/capped", "data": {"n": 2}})
    pending = engine.state.get_debounce(fn_id, "")
    assert pending is not None
    assert pending.fire_at <= pending.first_at + 1_000

    # Without the timeout this would wait an hour; the test's bound is far below that.
    [run] = await engine.wait_for_runs(ids[-1], timeout=10)
    run = await engine.wait_for_run(run.id, timeout=10)
    assert run.status == "Completed"
    assert run.output == 2
    assert runs_of_event(engine, ids[0]) == []


async def test_throttle_delays_the_second_start(engine: Engine) -> None:
    client = make_client(engine)
    period_ms = 60_000

    @client.create_function(
        fn_id="throttled",
        throttle=inngest.Throttle(
            limit=1, period=datetime.timedelta(milliseconds=period_ms), key="event.data.user"
        ),
        trigger=inngest.TriggerEvent(event="t/throttled"),
    )
    async def throttled(ctx: inngest.Context) -> Any:
        return ctx.event.data["n"]

    await serve(engine, client, [throttled])
    first_id, second_id, other_id = await engine.send(
        [
            {"name": "t/throttled", "data": {"user": "a", "n": 1}},
            {"name": "t/throttled", "data": {"user": "a", "n": 2}},
            {"name": "t/throttled", "data": {"user": "b", "n": 3}},
        ]
    )
    [first] = runs_of_event(engine, first_id)
    [second] = runs_of_event(engine, second_id)
    [other] = runs_of_event(engine, other_id)
    [(_, first_at)] = queued_calls(engine, first.id)
    [(_, second_at)] = queued_calls(engine, second.id)
    [(_, other_at)] = queued_calls(engine, other.id)
    assert first_at <= first.created_at
    assert second_at >= first_at + period_ms - 1_000
    assert second_at <= second.created_at + period_ms + 1_000
    assert other_at <= other.created_at  # another key is not throttled
    other = await engine.wait_for_run(other.id, timeout=10)
    assert other.output == 3

    first = await engine.wait_for_run(first.id, timeout=10)
    assert first.status == "Completed"
    current = engine.state.get_run(second.id)
    assert current is not None and current.status == "Queued"
    engine.cancel(second.id)


async def test_rate_limit_drops_excess_events(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(
        fn_id="rate-limited",
        rate_limit=inngest.RateLimit(
            limit=1, period=datetime.timedelta(hours=1), key="event.data.user"
        ),
        trigger=inngest.TriggerEvent(event="t/rate"),
    )
    async def rate_limited(ctx: inngest.Context) -> Any:
        return ctx.event.data["user"]

    [fn_id] = await serve(engine, client, [rate_limited])
    first, dropped, other = await engine.send(
        [
            {"name": "t/rate", "data": {"user": "a"}},
            {"name": "t/rate", "data": {"user": "a"}},
            {"name": "t/rate", "data": {"user": "b"}},
        ]
    )
    assert runs_of_event(engine, dropped) == []
    assert len(runs_of_event(engine, first)) == 1
    assert len(runs_of_event(engine, other)) == 1
    [run] = runs_of_event(engine, first)
    run = await engine.wait_for_run(run.id, timeout=10)
    assert run.output == "a"
    assert len(engine.state.list_runs(function_id=fn_id)) == 2
    assert engine.metrics()["runs_skipped"] == 1


# -- batching -----------------------------------------------------------------


async def test_batch_full_batch_runs_once(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(
        fn_id="batched",
        batch_events=inngest.Batch(max_size=3, timeout=SECOND),
        trigger=inngest.TriggerEvent(event="t/batched"),
    )
    async def batched(ctx: inngest.Context) -> Any:
        return [event.data["n"] for event in ctx.events]

    [fn_id] = await serve(engine, client, [batched])
    full = await engine.send([{"name": "t/batched", "data": {"n": n}} for n in (1, 2, 3)])
    runs = runs_of_event(engine, full[0])
    assert len(runs) == 1
    for event_id in full[1:]:
        assert [r.id for r in runs_of_event(engine, event_id)] == [runs[0].id]
    run = await engine.wait_for_run(runs[0].id, timeout=10)
    assert run.status == "Completed"
    assert run.output == [1, 2, 3]

    partial = await engine.send([{"name": "t/batched", "data": {"n": n}} for n in (4, 5)])
    assert runs_of_event(engine, partial[0]) == []
    [run] = await engine.wait_for_runs(partial[0], timeout=10)
    assert [r.id for r in runs_of_event(engine, partial[1])] == [run.id]
    run = await engine.wait_for_run(run.id, timeout=10)
    assert run.status == "Completed"
    assert run.output == [4, 5]
    assert len(engine.state.list_runs(function_id=fn_id)) == 2


# -- singleton and priority ---------------------------------------------------


def _blocking_function(
    client: inngest.Inngest, fn_id: str, release: threading.Event, started: list[str], **opts: Any
) -> Any:
    """A function whose step holds while ``event.data.block`` is true and ``release`` unset."""

    @client.create_function(fn_id=fn_id, trigger=inngest.TriggerEvent(event=f"t/{fn_id}"), **opts)
    async def blocking(ctx: inngest.Context) -> Any:
        name = str(ctx.event.data["name"])
        block = bool(ctx.event.data.get("block"))

        async def body() -> str:
            started.append(name)
            if block:
                await until(release.is_set, timeout=20)
            return name

        return await ctx.step.run("work", body)

    return blocking


async def test_singleton_skip_drops_a_second_run(engine: Engine) -> None:
    client = make_client(engine)
    release = threading.Event()
    started: list[str] = []
    fn = _blocking_function(
        client, "single-skip", release, started, singleton=inngest.Singleton(mode="skip")
    )
    [fn_id] = await serve(engine, client, [fn])

    [first_id] = await engine.send(
        {"name": "t/single-skip", "data": {"name": "first", "block": True}}
    )
    [first] = await engine.wait_for_runs(first_id)
    await eventually(lambda: started == ["first"], what="the first run to start")
    [second_id] = await engine.send({"name": "t/single-skip", "data": {"name": "second"}})
    assert runs_of_event(engine, second_id) == []

    release.set()
    first = await engine.wait_for_run(first.id, timeout=10)
    assert first.status == "Completed"
    assert started == ["first"]
    assert len(engine.state.list_runs(function_id=fn_id)) == 1

    [third_id] = await engine.send({"name": "t/single-skip", "data": {"name": "third"}})
    [third] = await engine.wait_for_runs(third_id)
    third = await engine.wait_for_run(third.id, timeout=10)
    assert third.output == "third"


async def test_singleton_cancel_replaces_the_running_run(engine: Engine) -> None:
    """The old run is cancelled in the transaction that admits the new one, so right after
    ``send`` returns its order is settled: nothing here waits on a thread's timing."""
    client = make_client(engine)

    @client.create_function(
        fn_id="single-cancel",
        trigger=inngest.TriggerEvent(event="t/single-cancel"),
        singleton=inngest.Singleton(mode="cancel"),
    )
    async def single(ctx: inngest.Context) -> Any:
        name = str(ctx.event.data["name"])
        if ctx.event.data.get("hold"):
            await ctx.step.wait_for_event(
                "hold", event="t/never", timeout=datetime.timedelta(hours=1)
            )
        return await ctx.step.run("work", lambda: name)

    await serve(engine, client, [single])
    [first_id] = await engine.send(
        {"name": "t/single-cancel", "data": {"name": "first", "hold": True}}
    )
    [first] = await engine.wait_for_runs(first_id)
    await eventually(
        lambda: [s.status for s in engine.state.steps(first.id)] == ["waiting"],
        what="the first run to wait",
    )
    [second_id] = await engine.send({"name": "t/single-cancel", "data": {"name": "second"}})

    cancelled = engine.state.get_run(first.id)
    assert cancelled is not None and cancelled.status == "Cancelled"
    [second] = runs_of_event(engine, second_id)
    assert cancelled.ended_at is not None and cancelled.ended_at <= second.created_at
    second = await engine.wait_for_run(second.id, timeout=10)
    assert second.status == "Completed"
    assert second.output == "second"
    assert engine.state.get_run(first.id).output is None  # type: ignore[union-attr]


async def test_priority_starts_the_higher_priority_run_first(engine: Engine) -> None:
    client = make_client(engine)
    release = threading.Event()
    started: list[str] = []
    fn = _blocking_function(
        client,
        "prioritized",
        release,
        started,
        concurrency=[inngest.Concurrency(limit=1)],
        priority=inngest.Priority(run="event.data.p"),
    )
    await serve(engine, client, [fn])

    [blocker_id] = await engine.send(
        {"name": "t/prioritized", "data": {"name": "blocker", "block": True, "p": 0}}
    )
    await eventually(lambda: started == ["blocker"], what="the blocker to start")
    [low_id] = await engine.send({"name": "t/prioritized", "data": {"name": "low", "p": 0}})
    await asyncio.sleep(0.1)  # the scheduler sees the low run first, held by the limit
    [high_id] = await engine.send({"name": "t/prioritized", "data": {"name": "high", "p": 60}})
    await asyncio.sleep(0.1)
    assert started == ["blocker"]
    release.set()

    for event_id in (blocker_id, low_id, high_id):
        [run] = await engine.wait_for_runs(event_id)
        run = await engine.wait_for_run(run.id, timeout=10)
        assert run.status == "Completed"
    assert started == ["blocker", "high", "low"]


# -- key expressions on events that lack the field ------------------------------

KEYED_OPTIONS: dict[str, dict[str, Any]] = {
    "concurrency": {"concurrency": [inngest.Concurrency(limit=1, key="event.data.user")]},
    "throttle": {"throttle": inngest.Throttle(limit=5, period=SECOND * 60, key="event.data.user")},
    "rate_limit": {
        "rate_limit": inngest.RateLimit(limit=5, period=SECOND * 60, key="event.data.user")
    },
    "idempotency": {"idempotency": "event.data.user"},
    "singleton": {"singleton": inngest.Singleton(mode="skip", key="event.data.user")},
    "priority": {
        "concurrency": [inngest.Concurrency(limit=1)],
        "priority": inngest.Priority(run="event.data.user"),
    },
    "debounce": {"debounce": inngest.Debounce(period=SECOND, key="event.data.user")},
    "batch_events": {
        "batch_events": inngest.Batch(max_size=1, timeout=SECOND, key="event.data.user")
    },
}


@pytest.mark.parametrize("option", sorted(KEYED_OPTIONS))
async def test_key_expression_on_an_event_without_the_field(engine: Engine, option: str) -> None:
    """An event lacking the key's field is still accepted and runs (Inngest does so too);
    it must not make ``send`` fail nor cost other functions the event."""
    client = make_client(engine)

    @client.create_function(
        fn_id="keyed", trigger=inngest.TriggerEvent(event="t/keyed"), **KEYED_OPTIONS[option]
    )
    async def keyed(ctx: inngest.Context) -> Any:
        return "keyed"

    @client.create_function(fn_id="plain", trigger=inngest.TriggerEvent(event="t/keyed"))
    async def plain(ctx: inngest.Context) -> Any:
        return "plain"

    await serve(engine, client, [keyed, plain])
    [event_id] = await engine.send({"name": "t/keyed", "data": {"other": 1}})
    runs = await engine.wait_for_runs(event_id, count=2, timeout=10)
    outputs = sorted([(await engine.wait_for_run(r.id, timeout=10)).output for r in runs])
    assert outputs == ["keyed", "plain"]
