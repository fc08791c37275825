"""An app for the crash-and-restart tests: every step body appends a line to a log file.

The ``gate`` step blocks until a release file exists, so a test can SIGKILL the engine at
a known point: every step before the gate has completed, the gate is in flight.
"""

from __future__ import annotations

import asyncio
import datetime
import os
from pathlib import Path

import inngest
import inngest.fast_api
from fastapi import FastAPI

WORKDIR = Path(os.environ.get("CRASH_TEST_DIR", "."))
client = inngest.Inngest(app_id="crash", is_production=False)


def record(run_id: str, label: str) -> str:
    with (WORKDIR / "steps.log").open("a") as log:
        log.write(f"{run_id} {label}\n")
    return label


async def gate(run_id: str) -> str:
    record(run_id, "gate-start")
    while not (WORKDIR / "release").exists():
        await asyncio.sleep(0.02)
    return record(run_id, "gate-done")


@client.create_function(fn_id="durable", trigger=inngest.TriggerEvent(event="crash/start"))
async def durable(ctx: inngest.Context) -> str:
    for i in range(5):
        await ctx.step.run(f"before-{i}", record, ctx.run_id, f"before-{i}")
    await ctx.step.run("gate", gate, ctx.run_id)
    await ctx.step.sleep("nap", datetime.timedelta(seconds=1))
    for i in range(5):
        await ctx.step.run(f"after-{i}", record, ctx.run_id, f"after-{i}")
    return "done"


@client.create_function(fn_id="sleeper", trigger=inngest.TriggerEvent(event="crash/sleep"))
async def sleeper(ctx: inngest.Context) -> str:
    await ctx.step.run("mark", record, ctx.run_id, "sleep-start")
    await ctx.step.sleep("long-nap", datetime.timedelta(seconds=3))
    event = await ctx.step.wait_for_event(
        "wait", event="crash/never", timeout=datetime.timedelta(seconds=1)
    )
    return "woke" if event is None else "matched"


app = FastAPI()
inngest.fast_api.serve(app, client, [durable, sleeper])
