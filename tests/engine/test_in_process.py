"""Calls to an app registered in process: straight to the SDK's serve handler when the app
is a FastAPI app, yet the app's own middleware still sees every call, and a route of the
app's that takes the serve path first still gets the calls."""

from __future__ import annotations

from typing import Any

import inngest
import inngest.fast_api
from fastapi import FastAPI, Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sourcesync.engine import Engine, RunStatus
from sourcesync.engine.asgi_call import serve_route

from .conftest import make_client


class Recorder:
    """ASGI middleware recording the tag, path and stepId of every request, and the app
    the scope names (Starlette sets it before the middleware runs)."""

    seen: list[tuple[str, str, str]] = []
    apps: list[Any] = []

    def __init__(self, app: ASGIApp, tag: str) -> None:
        self.app = app
        self.tag = tag

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"").decode()
        step = next((p[7:] for p in query.split("&") if p.startswith("stepId=")), "")
        Recorder.seen.append((self.tag, scope["path"], step))
        Recorder.apps.append(scope.get("app"))
        await self.app(scope, receive, send)


def two_steps(client: inngest.Inngest) -> Any:
    @client.create_function(fn_id="two", trigger=inngest.TriggerEvent(event="t/two"))
    async def two(ctx: inngest.Context) -> str:
        a = await ctx.step.run("a", lambda: "a")
        b = await ctx.step.run("b", lambda: "b")
        return a + b

    return two


async def run_once(engine: Engine) -> Any:
    [event_id] = await engine.send({"name": "t/two", "data": {}})
    [run] = await engine.wait_for_runs(event_id)
    return await engine.wait_for_run(run.id, timeout=30)


async def test_the_apps_middleware_sees_every_call(engine: Engine) -> None:
    client = make_client(engine)
    app = FastAPI()
    inngest.fast_api.serve(app, client, [two_steps(client)])
    app.add_middleware(Recorder, tag="recorder")
    await engine.register_app(app)
    Recorder.seen.clear()
    Recorder.apps.clear()

    run = await run_once(engine)

    assert run.status == RunStatus.COMPLETED
    assert run.output == "ab"
    calls = [seen for seen in Recorder.seen if seen[1] == "/api/inngest"]
    # Discovery, step a, step b, and the call that returns the output.
    assert len(calls) == 3
    assert {tag for tag, _, _ in calls} == {"recorder"}
    assert all(step == "step" for _, _, step in calls)
    assert all(seen is app for seen in Recorder.apps)


async def test_a_route_the_app_matches_first_gets_the_calls(engine: Engine) -> None:
    client = make_client(engine)
    app = FastAPI()
    taken: list[bytes] = []

    @app.post("/api/inngest")
    async def first(request: Request) -> Response:
        taken.append(await request.body())
        return Response('{"name":"Error","message":"taken"}', status_code=500)

    inngest.fast_api.serve(app, client, [two_steps(client)])
    await engine.register_app(app)

    [event_id] = await engine.send({"name": "t/two", "data": {}})
    [run] = await engine.wait_for_runs(event_id)
    ended = await engine.wait_for_run(run.id, timeout=30)

    assert ended.status == RunStatus.FAILED
    assert taken, "the app's own route did not get the call"


def test_the_serve_route_is_found_only_where_the_sdk_answers() -> None:
    client = inngest.Inngest(app_id="routes", is_production=False)
    url = "http://app.embedded/api/inngest"
    served = FastAPI()
    inngest.fast_api.serve(served, client, [two_steps(client)])
    assert serve_route(served, url) is not None
    assert serve_route(served, "http://app.embedded/elsewhere") is None

    shadowed = FastAPI()

    @shadowed.post("/api/inngest")
    async def first() -> None: ...

    inngest.fast_api.serve(shadowed, client, [two_steps(client)])
    assert serve_route(shadowed, url) is None

    async def plain_asgi(scope: Scope, receive: Receive, send: Send) -> None: ...

    assert serve_route(plain_asgi, url) is None


async def test_an_app_registered_again_at_the_same_url_gets_the_calls(engine: Engine) -> None:
    client = make_client(engine)
    first = FastAPI()
    inngest.fast_api.serve(first, client, [two_steps(client)])
    await engine.register_app(first)

    second = FastAPI()
    inngest.fast_api.serve(second, client, [two_steps(client)])
    paths: list[str] = []

    async def wrapper(scope: Scope, receive: Receive, send: Send) -> None:
        paths.append(scope["path"])
        await second(scope, receive, send)

    await engine.register_app(wrapper)
    run = await run_once(engine)

    assert run.status == RunStatus.COMPLETED
    assert paths.count("/api/inngest") >= 4  # the sync's PUT, then the three calls
