"""An app in its own process, for the standalone-engine test: it finds the engine through
``INNGEST_DEV`` and is called back over HTTP at the URL it registers."""

from __future__ import annotations

import datetime
import os

import inngest
import inngest.fast_api
from fastapi import FastAPI

client = inngest.Inngest(app_id="remote", is_production=False)


@client.create_function(fn_id="greet", trigger=inngest.TriggerEvent(event="remote/greet"))
async def greet(ctx: inngest.Context) -> str:
    pid = await ctx.step.run("where", os.getpid)
    await ctx.step.sleep("nap", datetime.timedelta(milliseconds=50))
    await ctx.step.send_event("echo", inngest.Event(name="remote/greeted", data={"pid": pid}))
    return f"hello from {pid}"


app = FastAPI()
inngest.fast_api.serve(app, client, [greet])
