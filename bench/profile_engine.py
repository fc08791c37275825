"""Where bench (a)'s time goes: run it once under yappi (every thread: the engine's loop
and the app's worker threads) and print the functions with the most time of their own.

    .venv/bin/python bench/profile_engine.py [--top 25]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import yappi

from bench.engine_bench import build_app
from sourcesync.engine import Engine, EngineConfig

RUNS, STEPS = 200, 10


async def bench_a() -> float:
    with tempfile.TemporaryDirectory() as directory:
        engine = Engine(EngineConfig(state_path=str(Path(directory) / "engine.db"), port=0))
        await engine.start()
        app, _ = build_app(engine)
        await engine.register_app(app)
        started = time.perf_counter()
        ids = await engine.send(
            [{"name": "bench/ten", "data": {"key": f"a{i}"}} for i in range(RUNS)]
        )
        for event_id in ids:
            [run] = await engine.wait_for_runs(event_id, timeout=300)
            await engine.wait_for_run(run.id, timeout=300)
        elapsed = time.perf_counter() - started
        await engine.stop()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    yappi.set_clock_type("cpu")
    yappi.start()
    elapsed = asyncio.run(bench_a())
    yappi.stop()
    print(f"(a) under the profiler: {RUNS * STEPS / elapsed:,.0f} steps/s ({elapsed:.2f} s)")
    stats = yappi.get_func_stats()
    stats.sort("tsub", "desc")
    total = sum(stat.tsub for stat in stats)
    groups: dict[str, float] = {}
    for stat in stats:
        group = _group(stat.module)
        groups[group] = groups.get(group, 0.0) + stat.tsub
    print("own CPU time by component:")
    for group, seconds in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"  {seconds:7.2f} s  {seconds / total * 100:5.1f}%  {group}")
    print(f"{'own cpu s':>9}  {'share':>5}  {'calls':>8}  function")
    for stat in list(stats)[: args.top]:
        where = f"{Path(stat.module).name}:{stat.lineno} {stat.name}"
        share = stat.tsub / total * 100
        print(f"{stat.tsub:9.2f}  {share:4.1f}%  {stat.ncall:8d}  {where}")


COMPONENTS = (
    ("/sourcesync/engine/", "engine"),
    ("/inngest/", "inngest SDK"),
    ("/httpx/", "httpx (ASGI transport)"),
    ("/starlette/", "starlette/fastapi"),
    ("/fastapi/", "starlette/fastapi"),
    ("/pydantic", "pydantic"),
    ("/json/", "json"),
    ("/asyncio/", "asyncio"),
    ("/concurrent/", "threads and futures"),
    ("/threading", "threads and futures"),
    ("/bench/", "bench (step bodies, waits)"),
)


def _group(module: str) -> str:
    for fragment, name in COMPONENTS:
        if fragment in module:
            return name
    return "other (" + Path(module).name + ")" if module.startswith("/") else "builtins/C"


if __name__ == "__main__":
    main()
