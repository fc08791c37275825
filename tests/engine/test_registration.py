"""Conformance of app registration (``POST /fn/register``, the SDK's sync).

The engine accepts the sync request every inngest-py app sends, and refuses, whole and with
the function and the option named, any configuration it does not implement, so an option is
never silently ignored. ``step.ai`` (the ``AIGateway`` op) is refused when a run reaches it.
"""

from __future__ import annotations

import copy
import datetime
from typing import Any

import httpx
import inngest
import pytest
from inngest.experimental.ai import openai

from sourcesync.engine import Engine, RegistrationError

from .conftest import make_client, poll, serve

APP_URL = "http://raw-app.example/api/inngest"


def function_config(fn_id: str = "raw-fn", **extra: Any) -> dict[str, Any]:
    """A function as an inngest-py sync request describes it."""
    config: dict[str, Any] = {
        "id": fn_id,
        "name": fn_id,
        "triggers": [{"event": "raw/go"}],
        "steps": {
            "step": {
                "id": "step",
                "name": "step",
                "retries": {"attempts": 0},
                "runtime": {"type": "http", "url": f"{APP_URL}?fnId={fn_id}&stepId=step"},
            }
        },
    }
    config.update(extra)
    return config


def sync_request(*functions: dict[str, Any], url: str = APP_URL) -> dict[str, Any]:
    return {
        "appname": "raw-app",
        "deployType": "ping",
        "framework": "fastapi",
        "functions": list(functions),
        "sdk": "py:v0.5.19",
        "url": url,
        "v": "0.1",
        "capabilities": {"in_band_sync": "v1", "trust_probe": "v1"},
    }


async def registered_ids(http: httpx.AsyncClient) -> list[str]:
    response = await http.get("/v0/functions")
    assert response.status_code == 200
    return sorted(fn["id"] for fn in response.json()["data"])


# -- the SDK's own sync ------------------------------------------------------------------


async def test_the_sdk_sync_registers_every_function(
    engine: Engine, http: httpx.AsyncClient
) -> None:
    client = make_client(engine, app_id="sync-app")

    @client.create_function(
        fn_id="first",
        trigger=inngest.TriggerEvent(event="sync/first", expression="event.data.n > 1"),
        retries=2,
        concurrency=[inngest.Concurrency(limit=3, key="event.data.user")],
        debounce=inngest.Debounce(period=datetime.timedelta(seconds=1)),
    )
    async def first(ctx: inngest.Context) -> str:
        return "first"

    @client.create_function(fn_id="second", trigger=inngest.TriggerCron(cron="0 0 * * *"))
    def second(ctx: inngest.ContextSync) -> str:
        return "second"

    ids = await serve(engine, client, [first, second])

    assert ids == ["sync-app-first", "sync-app-second"]
    assert await registered_ids(http) == ids
    body = (await http.get("/v0/functions")).json()
    by_id = {fn["id"]: fn for fn in body["data"]}
    assert by_id["sync-app-first"]["triggers"] == [
        {"event": "sync/first", "expression": "event.data.n > 1"}
    ]
    assert by_id["sync-app-second"]["triggers"] == [{"cron": "0 0 * * *"}]
    assert [app["url"] for app in body["apps"]] == ["http://sync-app.embedded/api/inngest"]


async def test_a_synced_function_runs(engine: Engine, http: httpx.AsyncClient) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="hello", trigger=inngest.TriggerEvent(event="sync/hello"))
    async def hello(ctx: inngest.Context) -> str:
        return f"hello {ctx.event.data['who']}"

    await serve(engine, client, [hello])
    [event_id] = (
        await http.post("/e/k", json={"name": "sync/hello", "data": {"who": "x"}})
    ).json()["ids"]

    async def completed() -> Any:
        runs = (await http.get(f"/v1/events/{event_id}/runs")).json()["data"]
        return runs if runs and runs[0]["status"] == "Completed" else None

    [run] = await poll(completed, "the run")
    assert run["output"] == "hello x"


async def test_a_resync_replaces_the_apps_functions(
    engine: Engine, http: httpx.AsyncClient
) -> None:
    assert (await http.post("/fn/register", json=sync_request(function_config("a")))).is_success
    assert (await http.post("/fn/register", json=sync_request(function_config("b")))).is_success

    assert await registered_ids(http) == ["b"]


async def test_a_valid_raw_sync_is_accepted(http: httpx.AsyncClient) -> None:
    response = await http.post("/fn/register", json=sync_request(function_config()))

    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert await registered_ids(http) == ["raw-fn"]


# -- refused configurations --------------------------------------------------------------


def _with(path: list[str | int], value: Any) -> dict[str, Any]:
    config = function_config()
    target: Any = config
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return config


UNSUPPORTED: list[tuple[str, dict[str, Any], list[str]]] = [
    ("unknown top-level key", function_config(fooBar=True), ["fooBar"]),
    (
        "unknown nested key",
        function_config(throttle={"limit": 1, "period": "1s", "fooBar": 1}),
        [
            "throttle",
            "fooBar",
        ],
    ),
    (
        "batch if",
        function_config(batchEvents={"maxSize": 2, "timeout": "1s", "if": "true"}),
        [
            "batchEvents",
            "if",
        ],
    ),
    ("ws runtime", _with(["steps", "step", "runtime", "type"], "ws"), ["runtime"]),
    ("unknown step key", _with(["steps", "step", "fooBar"], 1), ["fooBar"]),
    (
        "bad concurrency scope",
        function_config(concurrency=[{"limit": 1, "scope": "galaxy"}]),
        [
            "concurrency",
            "scope",
        ],
    ),
    ("bad duration", function_config(debounce={"period": "soon"}), ["debounce.period"]),
    ("bad cron", function_config(triggers=[{"cron": "not a cron"}]), ["triggers.cron"]),
    ("no triggers", function_config(triggers=[]), ["triggers"]),
    ("bad singleton mode", function_config(singleton={"mode": "queue"}), ["singleton", "mode"]),
]


@pytest.mark.parametrize(
    ("config", "named"),
    [pytest.param(config, named, id=label) for label, config, named in UNSUPPORTED],
)
async def test_an_unsupported_option_is_refused_naming_function_and_option(
    http: httpx.AsyncClient, config: dict[str, Any], named: list[str]
) -> None:
    response = await http.post("/fn/register", json=sync_request(copy.deepcopy(config)))

    assert response.status_code == 400, response.text
    message = response.json()["error"]
    assert "raw-fn" in message, message
    for part in named:
        assert part in message, message
    assert await registered_ids(http) == []


INVALID_EXPRESSIONS: list[tuple[str, dict[str, Any], str]] = [
    (
        "trigger expression",
        function_config(triggers=[{"event": "raw/go", "expression": "event.data.n >"}]),
        "triggers[0].expression",
    ),
    (
        "cancel if",
        function_config(cancel=[{"event": "raw/stop", "if": "event.data.id == ("}]),
        "cancel[0].if",
    ),
    (
        "concurrency key",
        function_config(concurrency=[{"limit": 1, "key": "event.data.)"}]),
        "concurrency[0].key",
    ),
    ("idempotency", function_config(idempotency="event.data.id +"), "idempotency"),
]


@pytest.mark.parametrize(
    ("config", "option"),
    [pytest.param(config, option, id=label) for label, config, option in INVALID_EXPRESSIONS],
)
async def test_an_invalid_cel_expression_is_refused_naming_the_option(
    http: httpx.AsyncClient, config: dict[str, Any], option: str
) -> None:
    response = await http.post("/fn/register", json=sync_request(config))

    assert response.status_code == 400, response.text
    message = response.json()["error"]
    assert "raw-fn" in message and option in message, message
    assert await registered_ids(http) == []


async def test_one_bad_function_refuses_the_whole_sync(http: httpx.AsyncClient) -> None:
    good = function_config("good-fn")
    bad = function_config("bad-fn", fooBar=1)

    response = await http.post("/fn/register", json=sync_request(good, bad))

    assert response.status_code == 400
    assert "bad-fn" in response.json()["error"]
    assert await registered_ids(http) == []


async def test_a_refused_resync_keeps_the_previous_registration(http: httpx.AsyncClient) -> None:
    assert (await http.post("/fn/register", json=sync_request(function_config()))).is_success

    refused = await http.post("/fn/register", json=sync_request(function_config(fooBar=1)))

    assert refused.status_code == 400
    assert await registered_ids(http) == ["raw-fn"]


async def test_nothing_runs_for_a_refused_function(engine: Engine, http: httpx.AsyncClient) -> None:
    refused = await http.post("/fn/register", json=sync_request(function_config(fooBar=1)))
    assert refused.status_code == 400

    sent = await http.post("/e/k", json={"name": "raw/go"})

    assert sent.status_code == 200
    assert (await http.get("/v0/runs")).json()["data"] == []
    assert engine.metrics()["runs_started"] == 0


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        pytest.param(b"{nope", "JSON", id="not-json"),
        pytest.param(b"[]", "object", id="not-an-object"),
        pytest.param(b'{"functions": []}', "url", id="no-url"),
        pytest.param(
            b'{"url": "http://x.example/api/inngest", "functions": []}',
            "functions",
            id="no-functions",
        ),
    ],
)
async def test_a_malformed_sync_request_is_refused(
    http: httpx.AsyncClient, body: bytes, fragment: str
) -> None:
    response = await http.post(
        "/fn/register", content=body, headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert fragment in response.json()["error"]
    assert await registered_ids(http) == []


# -- refused configurations through the SDK's own sync -----------------------------------


async def test_an_sdk_sync_with_an_invalid_expression_fails(
    engine: Engine, http: httpx.AsyncClient
) -> None:
    client = make_client(engine, app_id="bad-app")

    @client.create_function(
        fn_id="broken",
        trigger=inngest.TriggerEvent(event="bad/go", expression="event.data.x =="),
    )
    async def broken(ctx: inngest.Context) -> None:
        return None

    with pytest.raises(RegistrationError) as caught:
        await serve(engine, client, [broken])

    assert "bad-app" in str(caught.value)
    assert await registered_ids(http) == []


async def test_an_sdk_sync_with_an_unimplemented_option_fails(
    engine: Engine, http: httpx.AsyncClient
) -> None:
    client = make_client(engine, app_id="bad-app")

    @client.create_function(
        fn_id="batched",
        trigger=inngest.TriggerEvent(event="bad/go"),
        batch_events=inngest.Batch(
            max_size=2, timeout=datetime.timedelta(seconds=1), if_exp="event.data.ok"
        ),
    )
    async def batched(ctx: inngest.Context) -> None:
        return None

    with pytest.raises(RegistrationError):
        await serve(engine, client, [batched])

    assert await registered_ids(http) == []


# -- step.ai -------------------------------------------------------------------------------


async def test_step_ai_is_refused_at_run_time(engine: Engine, http: httpx.AsyncClient) -> None:
    client = make_client(engine)
    reached_after: list[bool] = []

    @client.create_function(fn_id="ai", trigger=inngest.TriggerEvent(event="ai/go"), retries=0)
    async def ai(ctx: inngest.Context) -> Any:
        answer = await ctx.step.ai.infer(
            "ask",
            adapter=openai.Adapter(auth_key="sk-test", model="gpt-test"),
            body={"messages": [{"role": "user", "content": "hi"}]},
        )
        reached_after.append(True)
        return answer

    await serve(engine, client, [ai])
    [event_id] = (await http.post("/e/k", json={"name": "ai/go"})).json()["ids"]

    async def ended() -> Any:
        runs = (await http.get(f"/v1/events/{event_id}/runs")).json()["data"]
        return runs if runs and runs[0]["status"] in ("Completed", "Failed") else None

    [run] = await poll(ended, "the step.ai run")
    assert run["status"] == "Failed"
    assert "step.ai" in run["output"]["message"], run["output"]
    assert reached_after == []
    timeline = (await http.get(f"/v0/runs/{run['run_id']}/timeline")).json()["data"]
    [step] = [s for s in timeline["steps"] if s["op"] == "AIGateway"]
    assert step["name"] == "ask"
    assert step["status"] == "failed"
    assert "step.ai" in step["error"]["message"]
