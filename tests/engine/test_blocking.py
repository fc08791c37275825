"""User code that blocks (sync sleeps, lock waits inside an async function) stalls one app
worker, never the engine: the event API answers, timers fire and other runs complete.

Only threading/asyncio primitives with generous timeouts are used; no durations are asserted.
"""

from __future__ import annotations

import asyncio
import datetime
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import inngest
import pytest

from sourcesync.engine import Engine

from .conftest import make_client, poll, serve

GENEROUS = 60.0


@dataclass
class Blocker:
    entered: threading.Event
    release: threading.Event
    http: httpx.AsyncClient

    async def wait_entered(self) -> None:
        entered = await asyncio.to_thread(self.entered.wait, GENEROUS)
        assert entered, "the blocking step never started"

    async def send(self, name: str, data: dict[str, Any] | None = None) -> str:
        response = await self.http.post("/e/key", json={"name": name, "data": data or {}})
        assert response.status_code == 200, response.text
        [event_id] = response.json()["ids"]
        return event_id

    async def run_of(self, event_id: str) -> dict[str, Any]:
        async def probe() -> Any:
            runs = (await self.http.get(f"/v1/events/{event_id}/runs")).json()["data"]
            return runs[0] if runs else None

        return await poll(probe, f"a run of {event_id}")

    async def ended(self, event_id: str) -> dict[str, Any]:
        run_id = (await self.run_of(event_id))["run_id"]

        async def probe() -> Any:
            run = (await self.http.get(f"/v1/runs/{run_id}")).json()["data"]
            return run if run["status"] in ("Completed", "Failed", "Cancelled") else None

        return await poll(probe, f"run {run_id} to end")


@pytest.fixture
async def blocker(engine: Engine) -> AsyncIterator[Blocker]:
    client = make_client(engine)
    entered = threading.Event()
    release = threading.Event()

    def block_thread() -> str:
        entered.set()
        # A synchronous wait inside an async function: it blocks the event loop running it.
        release.wait(GENEROUS)
        return "unblocked"

    def sleep_thread() -> str:
        entered.set()
        while not release.is_set():
            time.sleep(0.05)  # a plain sync sleep, as careless user code would do
        return "slept"

    @client.create_function(
        fn_id="blocks", trigger=inngest.TriggerEvent(event="t/block"), retries=0
    )
    async def blocks(ctx: inngest.Context) -> str:
        how = ctx.event.data.get("how", "wait")
        return await ctx.step.run("block", block_thread if how == "wait" else sleep_thread)

    @client.create_function(fn_id="quick", trigger=inngest.TriggerEvent(event="t/quick"))
    async def quick(ctx: inngest.Context) -> str:
        a = await ctx.step.run("one", lambda: "1")
        b = await ctx.step.run("two", lambda: "2")
        return a + b

    @client.create_function(fn_id="napper", trigger=inngest.TriggerEvent(event="t/nap"))
    async def napper(ctx: inngest.Context) -> str:
        await ctx.step.sleep("nap", datetime.timedelta(milliseconds=50))
        return "rested"

    @client.create_function(fn_id="synchronous", trigger=inngest.TriggerEvent(event="t/sync"))
    def synchronous(ctx: inngest.ContextSync) -> str:
        return ctx.step.run("s", lambda: "sync-done")

    await serve(engine, client, [blocks, quick, napper, synchronous])
    async with httpx.AsyncClient(base_url=engine.url, timeout=GENEROUS) as http:
        try:
            yield Blocker(entered, release, http)
        finally:
            release.set()


@pytest.mark.parametrize("how", ["wait", "sleep"])
async def test_a_blocked_worker_does_not_stall_the_engine(blocker: Blocker, how: str) -> None:
    blocked_event = await blocker.send("t/block", {"how": how})
    await blocker.wait_entered()
    assert not blocker.release.is_set()

    # The event API and the inspection API answer while the step blocks.
    quick_event = await blocker.send("t/quick")
    blocked_run = await blocker.run_of(blocked_event)
    assert blocked_run["status"] == "Running"
    metrics = await blocker.http.get("/v0/metrics")
    assert metrics.status_code == 200

    # Another run, with several calls, completes on another worker.
    quick = await blocker.ended(quick_event)
    assert quick["status"] == "Completed"
    assert quick["output"] == "12"

    # Timers still fire: a sleeping run wakes and completes.
    nap = await blocker.ended(await blocker.send("t/nap"))
    assert nap["status"] == "Completed"
    assert nap["output"] == "rested"

    # A sync function (run in the SDK's thread pool) completes too.
    sync_run = await blocker.ended(await blocker.send("t/sync"))
    assert sync_run["output"] == "sync-done"

    # All of this happened while the blocking step was still blocked.
    assert not blocker.release.is_set()
    assert (await blocker.run_of(blocked_event))["status"] == "Running"

    blocker.release.set()
    done = await blocker.ended(blocked_event)
    assert done["status"] == "Completed"
    assert done["output"] == ("unblocked" if how == "wait" else "slept")


async def test_many_runs_complete_while_one_worker_is_blocked(blocker: Blocker) -> None:
    blocked_event = await blocker.send("t/block")
    await blocker.wait_entered()

    response = await blocker.http.post(
        "/e/key", json=[{"name": "t/quick", "data": {"i": i}} for i in range(8)]
    )
    assert response.status_code == 200
    ids = response.json()["ids"]

    for event_id in ids:
        run = await blocker.ended(event_id)
        assert run["status"] == "Completed"
    assert not blocker.release.is_set()

    blocker.release.set()
    assert (await blocker.ended(blocked_event))["status"] == "Completed"
