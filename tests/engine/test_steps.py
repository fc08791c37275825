"""Conformance: every opcode inngest-py emits, executed on the embedded engine."""

from __future__ import annotations

import asyncio
import collections
import datetime

import inngest
import pytest

from sourcesync.engine import Engine

from .conftest import make_client, serve


async def run_to_end(engine: Engine, name: str, data: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    [event_id] = await engine.send({"name": name, "data": data or {}})
    [run] = await engine.wait_for_runs(event_id)
    return await engine.wait_for_run(run.id, timeout=20)


async def test_step_run_memoizes_so_each_body_runs_once(engine: Engine) -> None:
    client = make_client(engine)
    calls: collections.Counter[str] = collections.Counter()

    def body(label: str) -> str:
        calls[label] += 1
        return label.upper()

    @client.create_function(fn_id="steps", trigger=inngest.TriggerEvent(event="t/steps"))
    async def steps(ctx: inngest.Context) -> list[str]:
        return [await ctx.step.run(f"s{i}", body, f"s{i}") for i in range(5)]

    await serve(engine, client, [steps])
    run = await run_to_end(engine, "t/steps")
    assert run.status == "Completed"
    assert run.output == ["S0", "S1", "S2", "S3", "S4"]
    assert calls == {f"s{i}": 1 for i in range(5)}
    assert [s.name for s in engine.state.steps(run.id)] == [f"s{i}" for i in range(5)]


async def test_parallel_steps_run_concurrently(engine: Engine) -> None:
    client = make_client(engine)
    both_running = asyncio.Event()
    running = 0

    async def meet() -> int:
        nonlocal running
        running += 1
        if running == 2:
            both_running.set()
        await asyncio.wait_for(both_running.wait(), timeout=10)
        return running

    @client.create_function(fn_id="par", trigger=inngest.TriggerEvent(event="t/par"))
    async def par(ctx: inngest.Context) -> list[int]:
        results = await ctx.group.parallel(
            (lambda: ctx.step.run("left", meet), lambda: ctx.step.run("right", meet))
        )
        after = await ctx.step.run("after", lambda: 3)
        return [*results, after]

    await serve(engine, client, [par])
    run = await run_to_end(engine, "t/par")
    assert run.status == "Completed", run.error
    assert run.output == [2, 2, 3]
    ops = {s.name: s.op for s in engine.state.steps(run.id)}
    assert ops == {"left": "StepRun", "right": "StepRun", "after": "StepRun"}


async def test_sleep_and_sleep_until(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="nap", trigger=inngest.TriggerEvent(event="t/nap"))
    async def nap(ctx: inngest.Context) -> str:
        await ctx.step.sleep("short", datetime.timedelta(milliseconds=100))
        until = datetime.datetime.now(datetime.UTC) + datetime.timedelta(milliseconds=100)
        await ctx.step.sleep_until("until", until)
        return "rested"

    await serve(engine, client, [nap])
    run = await run_to_end(engine, "t/nap")
    assert run.output == "rested"
    steps = engine.state.steps(run.id)
    assert [(s.op, s.status) for s in steps] == [("Sleep", "completed")] * 2
    assert all((s.ended_at or 0) >= s.opts["until"] for s in steps), "a sleep ended early"


async def test_wait_for_event_matches_with_cel_and_times_out_to_none(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="waiter", trigger=inngest.TriggerEvent(event="t/wait"))
    async def waiter(ctx: inngest.Context) -> object:
        event = await ctx.step.wait_for_event(
            "approval",
            event="t/approved",
            if_exp="async.data.order == event.data.order",
            timeout=datetime.timedelta(milliseconds=ctx.event.data["timeout_ms"]),
        )
        return None if event is None else event.data["by"]

    await serve(engine, client, [waiter])
    [matched_id] = await engine.send({"name": "t/wait", "data": {"order": 7, "timeout_ms": 10_000}})
    [matched] = await engine.wait_for_runs(matched_id)
    while engine.state.get_step(matched.id, _waiting_step(engine, matched.id)) is None:
        await asyncio.sleep(0.01)
    await engine.send({"name": "t/approved", "data": {"order": 8, "by": "wrong order"}})
    await engine.send({"name": "t/approved", "data": {"order": 7, "by": "ada"}})
    assert (await engine.wait_for_run(matched.id)).output == "ada"

    timed_out = await run_to_end(engine, "t/wait", {"order": 9, "timeout_ms": 1_000})
    assert timed_out.status == "Completed"
    assert timed_out.output is None


def _waiting_step(engine: Engine, run_id: str) -> str:
    steps = [s for s in engine.state.steps(run_id) if s.op == "WaitForEvent"]
    return steps[0].id if steps else ""


async def test_wait_for_event_ignores_events_sent_before_the_wait(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="late", trigger=inngest.TriggerEvent(event="t/late"))
    async def late(ctx: inngest.Context) -> object:
        await ctx.step.run("first", lambda: None)
        event = await ctx.step.wait_for_event(
            "w", event="t/early", timeout=datetime.timedelta(seconds=1)
        )
        return event is None

    await serve(engine, client, [late])
    await engine.send({"name": "t/early", "data": {}})
    run = await run_to_end(engine, "t/late")
    assert run.output is True


async def test_invoke_returns_output_error_and_timeout(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="double", trigger=inngest.TriggerEvent(event="t/never-1"))
    async def double(ctx: inngest.Context) -> int:
        return int(ctx.event.data["n"]) * 2

    @client.create_function(
        fn_id="broken", retries=0, trigger=inngest.TriggerEvent(event="t/never-2")
    )
    async def broken(ctx: inngest.Context) -> None:
        raise ValueError("child exploded")

    @client.create_function(fn_id="slow", trigger=inngest.TriggerEvent(event="t/never-3"))
    async def slow(ctx: inngest.Context) -> None:
        await ctx.step.sleep("long", datetime.timedelta(hours=1))

    @client.create_function(fn_id="parent", trigger=inngest.TriggerEvent(event="t/invoke"))
    async def parent(ctx: inngest.Context) -> list[object]:
        results: list[object] = [await ctx.step.invoke("ok", function=double, data={"n": 21})]
        for step_id, function, timeout in (
            ("err", broken, None),
            ("late", slow, datetime.timedelta(seconds=1)),
        ):
            try:
                await ctx.step.invoke(step_id, function=function, data={}, timeout=timeout)
            except inngest.StepError as exc:
                results.append(f"{exc.name}: {exc.message}")
        return results

    await serve(engine, client, [double, broken, slow, parent])
    run = await run_to_end(engine, "t/invoke")
    assert run.status == "Completed", run.error
    assert run.output == [
        42,
        "ValueError: child exploded",
        "InngestInvokeTimeoutError: Timed out waiting for invoked function to complete",
    ]
    children = engine.state.list_runs(function_id="test-app-double")
    assert [c.parent_run_id for c in children] == [run.id]
    [invoked] = engine.state.events_by_internal_id(children[0].event_ids)
    assert invoked["name"] == "inngest/function.invoked"


async def test_send_event_goes_through_the_event_api_and_triggers(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="sender", trigger=inngest.TriggerEvent(event="t/send"))
    async def sender(ctx: inngest.Context) -> list[str]:
        return await ctx.step.send_event(
            "fan-out", [inngest.Event(name="t/child", data={"i": i}) for i in range(3)]
        )

    @client.create_function(fn_id="child", trigger=inngest.TriggerEvent(event="t/child"))
    async def child(ctx: inngest.Context) -> int:
        return int(ctx.event.data["i"])

    await serve(engine, client, [sender, child])
    run = await run_to_end(engine, "t/send")
    ids = run.output
    assert isinstance(ids, list) and len(ids) == 3
    outputs = sorted([(await engine.wait_for_runs(i))[0].id for i in ids])
    finished = [await engine.wait_for_run(run_id) for run_id in outputs]
    assert sorted(r.output for r in finished) == [0, 1, 2]


async def test_step_errors_retry_then_succeed_and_exhausted_errors_reach_user_code(
    engine: Engine,
) -> None:
    client = make_client(engine)
    attempts: collections.Counter[str] = collections.Counter()

    def flaky() -> str:
        attempts["flaky"] += 1
        if attempts["flaky"] < 3:
            raise RuntimeError(f"transient {attempts['flaky']}")
        return "ok"

    def hopeless() -> None:
        attempts["hopeless"] += 1
        raise RuntimeError("always")

    @client.create_function(fn_id="retry", retries=2, trigger=inngest.TriggerEvent(event="t/retry"))
    async def retry(ctx: inngest.Context) -> list[str]:
        first = await ctx.step.run("flaky", flaky)
        try:
            await ctx.step.run("hopeless", hopeless)
        except inngest.StepError as exc:
            return [first, f"caught {exc.name}: {exc.message}"]
        return [first]

    await serve(engine, client, [retry])
    run = await run_to_end(engine, "t/retry")
    assert run.output == ["ok", "caught RuntimeError: always"]
    assert attempts == {"flaky": 3, "hopeless": 3}
    steps = {s.name: s for s in engine.state.steps(run.id)}
    assert steps["flaky"].attempts == 3
    assert steps["hopeless"].status == "failed"


async def test_sync_functions_run_too(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="sync", trigger=inngest.TriggerEvent(event="t/sync"))
    def sync(ctx: inngest.ContextSync) -> int:
        a = ctx.step.run("a", lambda: 1)
        ctx.step.sleep("nap", datetime.timedelta(milliseconds=20))
        return a + ctx.step.run("b", lambda: 2)

    await serve(engine, client, [sync])
    assert (await run_to_end(engine, "t/sync")).output == 3


async def test_a_step_output_over_4_mib_fails_the_run_naming_the_limit(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="big", trigger=inngest.TriggerEvent(event="t/big"))
    async def big(ctx: inngest.Context) -> None:
        await ctx.step.run("huge", lambda: "x" * (4 * 1024 * 1024 + 10))

    await serve(engine, client, [big])
    run = await run_to_end(engine, "t/big")
    assert run.status == "Failed"
    assert run.error["name"] == "LimitExceededError"
    assert "4 MiB per step output" in run.error["message"]
    assert "'huge'" in run.error["message"]


@pytest.mark.slow
async def test_more_than_1000_steps_fails_the_run_naming_the_limit(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="many", trigger=inngest.TriggerEvent(event="t/many"))
    async def many(ctx: inngest.Context) -> None:
        for i in range(1_001):
            await ctx.step.run(f"s{i}", lambda: None)

    await serve(engine, client, [many])
    [event_id] = await engine.send({"name": "t/many", "data": {}})
    [run] = await engine.wait_for_runs(event_id)
    run = await engine.wait_for_run(run.id, timeout=300)
    assert run.status == "Failed"
    assert "1,000 steps" in run.error["message"]
    assert len(engine.state.steps(run.id)) == 1_000


@pytest.mark.slow
async def test_run_state_over_32_mib_fails_the_run_naming_the_limit(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="heavy", trigger=inngest.TriggerEvent(event="t/heavy"))
    async def heavy(ctx: inngest.Context) -> None:
        for i in range(10):
            await ctx.step.run(f"chunk-{i}", lambda: "y" * (4 * 1024 * 1024 - 100))

    await serve(engine, client, [heavy])
    run = await run_to_end(engine, "t/heavy")
    assert run.status == "Failed"
    assert "32 MiB" in run.error["message"]
