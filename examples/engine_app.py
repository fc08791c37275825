"""An inngest-py app with one function per step type, to run on the embedded engine.

    sourcesync engine --app examples.engine_app:app
    sourcesync events send examples/tour.started --data '{"name": "Ada"}'
    sourcesync events send examples/tour.approved --data '{"name": "Ada"}'

Then look at the runs: ``curl localhost:8288/v0/runs`` or the GraphQL API at ``/v0/gql``.
"""

from __future__ import annotations

import datetime

import inngest
import inngest.fast_api
from fastapi import FastAPI

client = inngest.Inngest(app_id="examples", is_production=False)


@client.create_function(
    fn_id="greet", trigger=inngest.TriggerEvent(event="examples/greet.requested")
)
async def greet(ctx: inngest.Context) -> str:
    """Invoked by the tour: returns a greeting."""
    return f"Hello, {ctx.event.data.get('name', 'stranger')}!"


@client.create_function(fn_id="tour", trigger=inngest.TriggerEvent(event="examples/tour.started"))
async def tour(ctx: inngest.Context) -> dict[str, object]:
    """step.run, parallel steps, sleep, wait_for_event, invoke and send_event, in order."""
    name = await ctx.step.run("normalize-name", lambda: str(ctx.event.data["name"]).strip())
    lengths = await ctx.group.parallel(
        (
            lambda: ctx.step.run("count-letters", lambda: sum(c.isalpha() for c in name)),
            lambda: ctx.step.run("count-vowels", lambda: sum(c in "aeiouAEIOU" for c in name)),
        )
    )
    await ctx.step.sleep("pause", datetime.timedelta(seconds=1))
    approval = await ctx.step.wait_for_event(
        "wait-for-approval",
        event="examples/tour.approved",
        if_exp="async.data.name == event.data.name",
        timeout=datetime.timedelta(minutes=5),
    )
    greeting = await ctx.step.invoke("greet", function=greet, data={"name": name})
    await ctx.step.send_event(
        "announce", inngest.Event(name="examples/tour.finished", data={"name": name})
    )
    return {"greeting": greeting, "lengths": list(lengths), "approved": approval is not None}


@client.create_function(
    fn_id="sync-tally", trigger=inngest.TriggerEvent(event="examples/tour.finished")
)
def sync_tally(ctx: inngest.ContextSync) -> int:
    """A synchronous function: the SDK runs it on a thread."""
    return ctx.step.run("tally", lambda: len(ctx.event.data["name"]))


app = FastAPI()
inngest.fast_api.serve(app, client, [greet, tour, sync_tally])
