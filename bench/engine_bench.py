"""Engine throughput and latency, beside the same step bodies called directly (the floor).

    .venv/bin/python bench/engine_bench.py

(a) 200 runs of a 10-step function, 20 at a time (function concurrency 20): steps/s.
(b) one 500-step function: steps/s (each call replays the memoized steps, as on Inngest).
(c) event-to-first-step latency, one event at a time on an idle engine: p50 and p95.
Ratios compare the engine with plain in-process calls of the same step bodies. On a shared
host wall-clock rates swing with the neighbours' load, so (a) also prints the process's
CPU time per step (all threads: the engine's loop, and the app on its worker threads),
and the part of it spent on the engine's own loop; both move far less.
"""

from __future__ import annotations

import asyncio
import hashlib
import statistics
import tempfile
import time
from pathlib import Path

import inngest
import inngest.fast_api
from fastapi import FastAPI

from sourcesync.engine import Engine, EngineConfig
from sourcesync.heap import settle_heap

PAYLOAD = b"x" * 1024
first_step_at: dict[str, float] = {}


def step_body(i: int) -> str:
    """A small, real step: hash a kilobyte."""
    return hashlib.sha256(PAYLOAD + str(i).encode()).hexdigest()[:8]


def first_step(key: str) -> str:
    first_step_at.setdefault(key, time.perf_counter())
    return step_body(0)


def build_app(engine: Engine) -> tuple[FastAPI, list[inngest.Function[object]]]:
    client = inngest.Inngest(
        app_id="bench", is_production=False, api_base_url=engine.url, event_api_base_url=engine.url
    )

    @client.create_function(
        fn_id="ten-steps",
        trigger=inngest.TriggerEvent(event="bench/ten"),
        concurrency=[inngest.Concurrency(limit=20)],
    )
    async def ten_steps(ctx: inngest.Context) -> str:
        await ctx.step.run("step-0", first_step, str(ctx.event.data["key"]))
        for i in range(1, 10):
            await ctx.step.run(f"step-{i}", step_body, i)
        return "ok"

    @client.create_function(fn_id="long", trigger=inngest.TriggerEvent(event="bench/long"))
    async def long(ctx: inngest.Context) -> str:
        for i in range(500):
            await ctx.step.run(f"step-{i}", step_body, i)
        return "ok"

    app = FastAPI()
    functions = [ten_steps, long]
    inngest.fast_api.serve(app, client, functions)
    return app, functions


def floor(steps: int) -> float:
    started = time.perf_counter()
    for i in range(steps):
        step_body(i)
    return time.perf_counter() - started


async def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        engine = Engine(EngineConfig(state_path=str(Path(directory) / "engine.db"), port=0))
        await engine.start()
        app, _ = build_app(engine)
        await engine.register_app(app)
        settle_heap()  # as `sourcesync engine` and `sourcesync serve` do once started

        started, cpu_started = time.perf_counter(), time.process_time()
        loop_cpu_started = time.thread_time()
        ids = await engine.send(
            [{"name": "bench/ten", "data": {"key": f"a{i}"}} for i in range(200)]
        )
        for event_id in ids:
            [run] = await engine.wait_for_runs(event_id, timeout=300)
            assert (await engine.wait_for_run(run.id, timeout=300)).status == "Completed"
        many = time.perf_counter() - started
        many_cpu = time.process_time() - cpu_started
        many_loop_cpu = time.thread_time() - loop_cpu_started

        started, cpu_started = time.perf_counter(), time.process_time()
        [event_id] = await engine.send({"name": "bench/long", "data": {}})
        [run] = await engine.wait_for_runs(event_id)
        assert (await engine.wait_for_run(run.id, timeout=600)).status == "Completed"
        long = time.perf_counter() - started
        long_cpu = time.process_time() - cpu_started

        latencies = []
        for i in range(50):
            key = f"latency-{i}"
            sent = time.perf_counter()
            [event_id] = await engine.send({"name": "bench/ten", "data": {"key": key}})
            [run] = await engine.wait_for_runs(event_id)
            await engine.wait_for_run(run.id)
            latencies.append((first_step_at[key] - sent) * 1000)
        await engine.stop()

    floor_many, floor_long = floor(2_000), floor(500)
    print(f"(a) 200 runs x 10 steps, 20 at a time: {2_000 / many:,.0f} steps/s ({many:.2f} s)")
    print(f"    floor (direct calls):               {2_000 / floor_many:,.0f} steps/s")
    print(f"    engine / floor time ratio:          {many / floor_many:,.0f}x")
    print(f"    engine CPU per step (all threads):  {many_cpu / 2_000 * 1000:.2f} ms")
    print(f"      of which the engine's own loop:   {many_loop_cpu / 2_000 * 1000:.2f} ms")
    print(f"    floor time per step:                {floor_many / 2_000 * 1000:.4f} ms")
    print(f"(b) one 500-step run:                   {500 / long:,.0f} steps/s ({long:.2f} s)")
    print(f"    floor (direct calls):               {500 / floor_long:,.0f} steps/s")
    print(f"    engine / floor time ratio:          {long / floor_long:,.0f}x")
    print(f"    engine CPU per step (all threads):  {long_cpu / 500 * 1000:.2f} ms")
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(f"(c) event to first step: p50 {p50:.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
