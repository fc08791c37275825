"""Flow-control options beyond the basics: shared concurrency scopes, throttle bursts,
cancellation windows and batch keys."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import inngest

from sourcesync.engine import Engine

from .conftest import make_client, serve
from .test_flow_control import queued_calls, runs_of_event


async def test_env_scoped_concurrency_is_shared_between_functions(engine: Engine) -> None:
    client = make_client(engine)
    running = 0
    peak = 0
    release = asyncio.Event()

    async def hold() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.wait_for(release.wait(), timeout=10)
        running -= 1

    limit = [inngest.Concurrency(limit=1, key="event.data.tenant", scope="env")]

    @client.create_function(
        fn_id="first", concurrency=limit, trigger=inngest.TriggerEvent(event="t/first")
    )
    async def first(ctx: inngest.Context) -> None:
        await ctx.step.run("hold", hold)

    @client.create_function(
        fn_id="second", concurrency=limit, trigger=inngest.TriggerEvent(event="t/second")
    )
    async def second(ctx: inngest.Context) -> None:
        await ctx.step.run("hold", hold)

    await serve(engine, client, [first, second])
    ids = await engine.send(
        [
            {"name": "t/first", "data": {"tenant": "acme"}},
            {"name": "t/second", "data": {"tenant": "acme"}},
        ]
    )
    runs = [runs_of_event(engine, event_id)[0] for event_id in ids]
    for _ in range(100):
        if running:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)
    assert peak == 1, "two functions sharing an env-scoped key ran at once"
    release.set()
    for run in runs:
        assert (await engine.wait_for_run(run.id, timeout=20)).status == "Completed"
    assert peak == 1


async def test_a_throttle_burst_lets_that_many_start_at_once(engine: Engine) -> None:
    client = make_client(engine)
    period_ms = 60_000

    @client.create_function(
        fn_id="bursty",
        throttle=inngest.Throttle(
            limit=1, period=datetime.timedelta(milliseconds=period_ms), burst=2
        ),
        trigger=inngest.TriggerEvent(event="t/bursty"),
    )
    async def bursty(ctx: inngest.Context) -> Any:
        return None

    await serve(engine, client, [bursty])
    ids = await engine.send([{"name": "t/bursty", "data": {"n": n}} for n in range(3)])
    runs = [runs_of_event(engine, event_id)[0] for event_id in ids]
    third_calls = queued_calls(engine, runs[2].id)
    assert (await engine.wait_for_run(runs[0].id, timeout=10)).status == "Completed"
    assert (await engine.wait_for_run(runs[1].id, timeout=10)).status == "Completed"
    [(_, third_at)] = third_calls
    assert third_at >= runs[2].created_at + period_ms - 1_000
    engine.cancel(runs[2].id)


async def test_a_cancel_rule_only_applies_within_its_timeout(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(
        fn_id="cancellable",
        cancel=[
            inngest.Cancel(
                event="t/stop",
                if_exp="event.data.id == async.data.id",
                timeout=datetime.timedelta(seconds=1),
            )
        ],
        trigger=inngest.TriggerEvent(event="t/start"),
    )
    async def cancellable(ctx: inngest.Context) -> None:
        await ctx.step.sleep("long", datetime.timedelta(minutes=10))

    await serve(engine, client, [cancellable])
    [event_id] = await engine.send({"name": "t/start", "data": {"id": 1}})
    [run] = runs_of_event(engine, event_id)
    await asyncio.sleep(1.2)  # past the rule's window
    await engine.send({"name": "t/stop", "data": {"id": 1}})
    current = engine.state.get_run(run.id)
    assert current is not None and current.status in ("Queued", "Running")
    engine.cancel(run.id)


async def test_batches_are_kept_apart_by_their_key(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(
        fn_id="batched",
        batch_events=inngest.Batch(
            max_size=2, timeout=datetime.timedelta(minutes=1), key="event.data.team"
        ),
        trigger=inngest.TriggerEvent(event="t/batched"),
    )
    async def batched(ctx: inngest.Context) -> list[Any]:
        return [event.data["n"] for event in ctx.events]

    await serve(engine, client, [batched])
    ids = await engine.send(
        [
            {"name": "t/batched", "data": {"team": "a", "n": 1}},
            {"name": "t/batched", "data": {"team": "b", "n": 2}},
            {"name": "t/batched", "data": {"team": "a", "n": 3}},
        ]
    )
    [run] = runs_of_event(engine, ids[0])
    assert runs_of_event(engine, ids[1]) == [], "team b's single event must wait for its batch"
    assert (await engine.wait_for_run(run.id, timeout=10)).output == [1, 3]
