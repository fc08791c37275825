"""Request signing: an engine with a signing key signs every call to an app, as Inngest
Cloud does, so production-mode apps accept it; an app with another key refuses the calls.
Every API but the event API (``/fn/register``, ``/v0/runs/{id}/batch|actions``, the REST
and GraphQL APIs) wants the bearer token: the key's SDK hash, or the key itself.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import inngest
import inngest.fast_api
import pytest
import uvicorn
from fastapi import FastAPI

from sourcesync.engine import Engine, EngineConfig, RegistrationError

from .conftest import make_client, poll, serve

SIGNING_KEY = "signkey-test-" + "0123456789abcdef" * 4
OTHER_KEY = "signkey-test-" + "fedcba9876543210" * 4
EVENT_KEY = "test-event-key"


def bearer(signing_key: str) -> dict[str, str]:
    """The ``Authorization`` header an SDK sends: sha256 of the key's hex bytes."""
    raw = signing_key.removeprefix("signkey-test-")
    return {"Authorization": f"Bearer {hashlib.sha256(bytes.fromhex(raw)).hexdigest()}"}


@pytest.fixture
async def signed_engine(tmp_path: Path) -> AsyncIterator[Engine]:
    instance = Engine(
        EngineConfig(
            state_path=str(tmp_path / "signed.db"),
            port=0,
            retry_base_ms=20,
            signing_key=SIGNING_KEY,
        )
    )
    await instance.start()
    try:
        yield instance
    finally:
        await instance.stop()


@pytest.fixture
async def http(signed_engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=signed_engine.url, timeout=30) as client:
        yield client


def admin() -> dict[str, str]:
    """Inngest's REST API takes the signing key itself as the bearer token."""
    return {"Authorization": f"Bearer {SIGNING_KEY}"}


def production_client(engine: Engine, app_id: str, signing_key: str) -> inngest.Inngest:
    return make_client(
        engine, app_id=app_id, is_production=True, signing_key=signing_key, event_key=EVENT_KEY
    )


async def ended_run(http: httpx.AsyncClient, event_id: str) -> dict[str, Any]:
    async def probe() -> Any:
        runs = (await http.get(f"/v1/events/{event_id}/runs", headers=admin())).json()["data"]
        if runs and runs[0]["status"] in ("Completed", "Failed", "Cancelled"):
            return runs[0]
        return None

    return await poll(probe, f"the run of event {event_id} to end")


@asynccontextmanager
async def served_over_http(app: FastAPI) -> AsyncIterator[str]:
    """Serve ``app`` on a free local port (a remote app, called over real HTTP)."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the test app did not start")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def sync_request(app_url: str, fn_id: str, event: str) -> dict[str, Any]:
    """The sync request the SDK would post for one function of the app at ``app_url``."""
    return {
        "appname": fn_id.split("-", maxsplit=1)[0],
        "deployType": "ping",
        "framework": "fastapi",
        "sdk": "py:v0.5.19",
        "url": app_url,
        "v": "0.1",
        "functions": [
            {
                "id": fn_id,
                "name": fn_id,
                "triggers": [{"event": event}],
                "steps": {
                    "step": {
                        "id": "step",
                        "name": "step",
                        "retries": {"attempts": 0},
                        "runtime": {
                            "type": "http",
                            "url": f"{app_url}?fnId={fn_id}&stepId=step",
                        },
                    }
                },
            }
        ],
    }


# -- an app with the same key ------------------------------------------------------------


async def test_a_production_app_with_the_same_key_runs(
    signed_engine: Engine, http: httpx.AsyncClient
) -> None:
    client = production_client(signed_engine, "signed", SIGNING_KEY)

    @client.create_function(fn_id="hello", trigger=inngest.TriggerEvent(event="signed/hello"))
    async def hello(ctx: inngest.Context) -> str:
        a = await ctx.step.run("a", lambda: "A")
        b = await ctx.step.run("b", lambda: "B")
        return f"{a}{b}{ctx.event.data['n']}"

    assert await serve(signed_engine, client, [hello]) == ["signed-hello"]

    [event_id] = await client.send(inngest.Event(name="signed/hello", data={"n": 1}))
    run = await ended_run(http, event_id)

    assert run["status"] == "Completed"
    assert run["output"] == "AB1"


async def test_a_sync_function_app_with_the_same_key_runs(
    signed_engine: Engine, http: httpx.AsyncClient
) -> None:
    client = production_client(signed_engine, "signedsync", SIGNING_KEY)

    @client.create_function(fn_id="hi", trigger=inngest.TriggerEvent(event="signed/sync"))
    def hi(ctx: inngest.ContextSync) -> str:
        return ctx.step.run("s", lambda: "sync-ok")

    await serve(signed_engine, client, [hi])
    [event_id] = await client.send(inngest.Event(name="signed/sync"))

    run = await ended_run(http, event_id)

    assert run["status"] == "Completed"
    assert run["output"] == "sync-ok"


# -- an app with another key ----------------------------------------------------------


@pytest.mark.parametrize(
    ("app_key", "expected"),
    [
        pytest.param(SIGNING_KEY, "Completed", id="same-key-control"),
        pytest.param(OTHER_KEY, "Failed", id="other-key"),
    ],
)
async def test_an_app_with_another_key_rejects_the_engines_calls(
    signed_engine: Engine, http: httpx.AsyncClient, app_key: str, expected: str
) -> None:
    client = production_client(signed_engine, "remote", app_key)
    executed: list[str] = []

    @client.create_function(
        fn_id="guarded", trigger=inngest.TriggerEvent(event="remote/go"), retries=0
    )
    async def guarded(ctx: inngest.Context) -> str:
        executed.append(ctx.run_id)
        return "ran"

    app = FastAPI()
    inngest.fast_api.serve(app, client, [guarded])
    async with served_over_http(app) as origin:
        app_url = f"{origin}/api/inngest"
        registered = await http.post(
            "/fn/register",
            json=sync_request(app_url, "remote-guarded", "remote/go"),
            headers=bearer(SIGNING_KEY),
        )
        assert registered.status_code == 200, registered.text
        sent = await http.post(f"/e/{EVENT_KEY}", json={"name": "remote/go"})
        [event_id] = sent.json()["ids"]

        run = await ended_run(http, event_id)

    assert run["status"] == expected
    if expected == "Completed":
        assert run["output"] == "ran"
        assert executed == [run["run_id"]]
    else:
        assert executed == []
        message = str(run["output"]["message"]).lower()
        assert "unauthorized" in message or "sig" in message, run["output"]


async def test_the_sdk_sync_of_an_app_with_another_key_is_refused(
    signed_engine: Engine, http: httpx.AsyncClient
) -> None:
    client = production_client(signed_engine, "intruder", OTHER_KEY)

    @client.create_function(fn_id="x", trigger=inngest.TriggerEvent(event="intruder/go"))
    async def x(ctx: inngest.Context) -> None:
        return None

    with pytest.raises(RegistrationError):
        await serve(signed_engine, client, [x])

    assert (await http.get("/v0/functions", headers=admin())).json()["data"] == []


# -- the SDK-facing API wants the bearer token --------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-token"),
        pytest.param(bearer(OTHER_KEY), id="other-key-token"),
        pytest.param({"Authorization": "Bearer nonsense"}, id="garbage-token"),
        pytest.param({"Authorization": SIGNING_KEY}, id="raw-key-not-bearer"),
    ],
)
async def test_register_without_the_right_token_is_401(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    payload = sync_request("http://nowhere.example/api/inngest", "raw-fn", "raw/go")

    response = await http.post("/fn/register", json=payload, headers=headers)

    assert response.status_code == 401
    assert (await http.get("/v0/functions", headers=admin())).json()["data"] == []


async def test_register_with_the_right_token_is_accepted(http: httpx.AsyncClient) -> None:
    payload = sync_request("http://nowhere.example/api/inngest", "raw-fn", "raw/go")

    response = await http.post("/fn/register", json=payload, headers=bearer(SIGNING_KEY))

    assert response.status_code == 200
    assert [
        fn["id"] for fn in (await http.get("/v0/functions", headers=admin())).json()["data"]
    ] == ["raw-fn"]


async def test_run_batch_and_actions_want_the_token(
    signed_engine: Engine, http: httpx.AsyncClient
) -> None:
    client = production_client(signed_engine, "signed", SIGNING_KEY)

    @client.create_function(fn_id="one", trigger=inngest.TriggerEvent(event="signed/one"))
    async def one(ctx: inngest.Context) -> str:
        return await ctx.step.run("only", lambda: "x")

    await serve(signed_engine, client, [one])
    [event_id] = await client.send(inngest.Event(name="signed/one"))
    run_id = (await ended_run(http, event_id))["run_id"]

    for path in (f"/v0/runs/{run_id}/batch", f"/v0/runs/{run_id}/actions"):
        assert (await http.get(path)).status_code == 401
        assert (await http.get(path, headers=bearer(OTHER_KEY))).status_code == 401
        assert (await http.get(path, headers=bearer(SIGNING_KEY))).status_code == 200
