"""An engine with keys is locked as Inngest is: events need the event key, everything else
the signing key; bodies are capped, JSON, strict; ``inngest/*`` events are the engine's own.
Finished runs and their events are pruned after the retention."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import inngest
import pytest

from sourcesync.engine import Engine, EngineConfig
from sourcesync.engine.app_calls import hashed_signing_key

from .conftest import make_client, poll, serve

SIGNING_KEY = "signkey-prod-" + "ab" * 32
EVENT_KEY = "event-key-0123456789"


@pytest.fixture
async def locked(tmp_path: Path) -> AsyncIterator[Engine]:
    instance = Engine(
        EngineConfig(
            state_path=str(tmp_path / "engine.db"),
            port=0,
            retry_base_ms=20,
            signing_key=SIGNING_KEY,
            event_key=EVENT_KEY,
            retention_ms=1,
        )
    )
    await instance.start()
    try:
        yield instance
    finally:
        await instance.stop()


async def test_every_api_but_events_needs_the_signing_key(locked: Engine) -> None:
    async with httpx.AsyncClient(base_url=locked.url) as client:
        for method, path in (
            ("GET", "/v1/events"),
            ("GET", "/v1/runs/01J"),
            ("DELETE", "/v1/runs/01J"),
            ("POST", "/v1/runs/01J/cancel"),
            ("GET", "/v0/runs"),
            ("POST", "/v0/runs/01J/rerun"),
            ("GET", "/v0/functions"),
            ("GET", "/v0/metrics"),
            ("POST", "/v0/gql"),
            ("POST", "/fn/register"),
        ):
            refused = await client.request(method, path, json={})
            assert refused.status_code == 401, (method, path)
        for token in (SIGNING_KEY, hashed_signing_key(SIGNING_KEY)):
            allowed = await client.get("/v1/events", headers={"Authorization": f"Bearer {token}"})
            assert allowed.status_code == 200
        assert (await client.get("/health")).status_code == 200


async def test_events_need_the_event_key_json_and_a_name_of_their_own(locked: Engine) -> None:
    async with httpx.AsyncClient(base_url=locked.url) as client:
        event = {"name": "app/ping", "data": {}}
        assert (await client.post("/e/wrong-key", json=event)).status_code == 401
        form = await client.post(
            f"/e/{EVENT_KEY}", content=json.dumps(event), headers={"Content-Type": "text/plain"}
        )
        assert form.status_code == 415, "a web page's form post must not reach the engine"
        for body, words in (
            (b'{"name": "app/ping", "data": {"x": NaN}}', "NaN"),
            (b"[" * 100_000 + b"]" * 100_000, "nested"),
        ):
            response = await client.post(
                f"/e/{EVENT_KEY}", content=body, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 400 and words in response.json()["error"]
        forged = await client.post(
            f"/e/{EVENT_KEY}",
            json={"name": "inngest/function.failed", "data": {"run_id": "x"}},
        )
        assert forged.status_code == 400 and "inngest/*" in forged.json()["error"]
        huge = await client.post(
            f"/e/{EVENT_KEY}",
            content=b"[" + b" " * (17 * 1024 * 1024) + b"]",
            headers={"Content-Type": "application/json"},
        )
        assert huge.status_code == 413
        accepted = await client.post(f"/e/{EVENT_KEY}", json=event)
        assert accepted.status_code == 200


async def test_a_production_app_syncs_and_runs_with_the_keys(locked: Engine) -> None:
    client = make_client(
        locked, "locked-app", is_production=True, signing_key=SIGNING_KEY, event_key=EVENT_KEY
    )

    @client.create_function(fn_id="echo", trigger=inngest.TriggerEvent(event="app/echo"))
    async def echo(ctx: inngest.Context) -> str:
        return str(await ctx.step.run("say", lambda: "hi"))

    await serve(locked, client, [echo])
    [event_id] = await client.send(inngest.Event(name="app/echo"))
    [run] = await locked.wait_for_runs(event_id)
    run = await locked.wait_for_run(run.id)
    assert run.output == "hi"


async def test_finished_runs_and_their_events_are_pruned_after_the_retention(
    locked: Engine,
) -> None:
    client = make_client(locked, "pruned", is_production=True, signing_key=SIGNING_KEY)

    @client.create_function(fn_id="once", trigger=inngest.TriggerEvent(event="app/once"))
    async def once(ctx: inngest.Context) -> int:
        return 1

    await serve(locked, client, [once])
    [event_id] = await locked.send({"name": "app/once"})
    [run] = await locked.wait_for_runs(event_id)
    await locked.wait_for_run(run.id)
    locked.scheduler.pruned_at = 0  # the next pass prunes (retention: 1 ms)
    await locked.send({"name": "app/unrelated"})

    async def gone() -> bool:
        return locked.state.get_run(run.id) is None and locked.state.find_event(event_id) is None

    await poll(gone, "the finished run and its event to be pruned")
