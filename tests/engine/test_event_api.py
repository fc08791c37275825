"""Conformance of the event API (``POST /e/{key}``), spoken over real HTTP.

Inngest's event API takes one event object or a list of them and answers
``{"ids": [...], "status": 200}``. A malformed body is refused whole with a 400 whose
message names the bad field, and nothing of that request is stored or triggered.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import inngest
import pytest

from sourcesync.engine import Engine

from .conftest import make_client, poll, serve

EVENT_PATH = "/e/test-key"


async def stored_events(http: httpx.AsyncClient, name: str | None = None) -> list[dict[str, Any]]:
    params = {"name": name} if name else {}
    response = await http.get("/v1/events", params=params)
    assert response.status_code == 200
    data = response.json()["data"]
    assert isinstance(data, list)
    return data


async def all_runs(http: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    response = await http.get("/v0/runs", params=params)
    assert response.status_code == 200
    return response.json()["data"]


async def completed_run_count(http: httpx.AsyncClient, function_id: str) -> int:
    runs = await all_runs(http, function_id=function_id)
    return len([r for r in runs if r["status"] == "Completed"])


def counting_function(client: inngest.Inngest, event: str, calls: list[Any]) -> Any:
    @client.create_function(fn_id="count", trigger=inngest.TriggerEvent(event=event), retries=0)
    async def count(ctx: inngest.Context) -> str:
        calls.append(ctx.event.id)
        return "ok"

    return count


# -- accepted events -------------------------------------------------------------------


async def test_one_event_is_stored_and_its_id_returned(http: httpx.AsyncClient) -> None:
    response = await http.post(EVENT_PATH, json={"name": "t/one", "data": {"a": 1}})

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == 200
    assert isinstance(body["ids"], list) and len(body["ids"]) == 1
    [event_id] = body["ids"]
    assert isinstance(event_id, str) and event_id

    [stored] = await stored_events(http)
    assert stored["name"] == "t/one"
    assert stored["data"] == {"a": 1}
    assert event_id in (stored["id"], stored["internal_id"])
    assert isinstance(stored["ts"], int)

    single = await http.get(f"/v1/events/{event_id}")
    assert single.status_code == 200
    assert single.json()["data"]["name"] == "t/one"


async def test_a_list_of_events_returns_one_id_each_in_order(http: httpx.AsyncClient) -> None:
    events = [{"name": f"t/many.{i}", "data": {"i": i}} for i in range(3)]

    response = await http.post(EVENT_PATH, json=events)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == 200
    assert len(body["ids"]) == 3
    assert len(set(body["ids"])) == 3
    for i, event_id in enumerate(body["ids"]):
        found = await http.get(f"/v1/events/{event_id}")
        assert found.status_code == 200
        assert found.json()["data"]["name"] == f"t/many.{i}"
        assert found.json()["data"]["data"] == {"i": i}
    assert {e["name"] for e in await stored_events(http)} == {f"t/many.{i}" for i in range(3)}


async def test_optional_fields_are_kept(http: httpx.AsyncClient) -> None:
    event = {
        "name": "t/full",
        "data": {"k": "v"},
        "id": "my-event-id",
        "ts": 1_700_000_000_000,
        "user": {"email": "a@example.com"},
    }

    response = await http.post(EVENT_PATH, json=event)

    assert response.status_code == 200
    [stored] = await stored_events(http, "t/full")
    assert stored["id"] == "my-event-id"
    assert stored["ts"] == 1_700_000_000_000
    assert stored["user"] == {"email": "a@example.com"}
    assert stored["data"] == {"k": "v"}
    by_external_id = await http.get("/v1/events/my-event-id")
    assert by_external_id.status_code == 200
    assert by_external_id.json()["data"]["name"] == "t/full"


async def test_missing_data_defaults_to_an_empty_object(http: httpx.AsyncClient) -> None:
    response = await http.post(EVENT_PATH, json={"name": "t/nodata"})

    assert response.status_code == 200
    [stored] = await stored_events(http, "t/nodata")
    assert stored["data"] == {}


async def test_any_event_key_in_the_path_is_accepted(http: httpx.AsyncClient) -> None:
    response = await http.post("/e/some-other-key", json={"name": "t/key"})

    assert response.status_code == 200
    assert len(response.json()["ids"]) == 1


async def test_the_sdk_client_sends_through_the_event_api(
    engine: Engine, http: httpx.AsyncClient
) -> None:
    calls: list[Any] = []
    client = make_client(engine)
    await serve(engine, client, [counting_function(client, "t/sdk", calls)])

    ids = await client.send(inngest.Event(name="t/sdk", data={"from": "sdk"}))

    assert len(ids) == 1
    [stored] = await stored_events(http, "t/sdk")
    assert stored["data"] == {"from": "sdk"}
    await poll(lambda: completed_run_count(http, "test-app-count"), "the triggered run")
    assert len(calls) == 1


async def test_name_filter_on_the_event_list(http: httpx.AsyncClient) -> None:
    await http.post(EVENT_PATH, json=[{"name": "t/a"}, {"name": "t/b"}, {"name": "t/a"}])

    only_a = await stored_events(http, "t/a")

    assert len(only_a) == 2
    assert {e["name"] for e in only_a} == {"t/a"}
    assert len(await stored_events(http)) == 3


# -- refused bodies --------------------------------------------------------------------

BAD_BODIES: list[tuple[str, Any, str]] = [
    ("name missing", {"data": {}}, "name"),
    ("name empty", {"name": "", "data": {}}, "name"),
    ("name blank", {"name": "   "}, "name"),
    ("name not a string", {"name": 42}, "name"),
    ("name null", {"name": None}, "name"),
    ("data a list", {"name": "t/x", "data": [1, 2]}, "data"),
    ("data a string", {"name": "t/x", "data": "text"}, "data"),
    ("data a number", {"name": "t/x", "data": 3}, "data"),
    ("id a number", {"name": "t/x", "id": 5}, "id"),
    ("id an object", {"name": "t/x", "id": {"a": 1}}, "id"),
    ("ts a string", {"name": "t/x", "ts": "1700000000000"}, "ts"),
    ("ts a float", {"name": "t/x", "ts": 1.5}, "ts"),
    ("ts a bool", {"name": "t/x", "ts": True}, "ts"),
    ("user a string", {"name": "t/x", "user": "me"}, "user"),
    ("user a list", {"name": "t/x", "user": ["me"]}, "user"),
    ("event not an object", "just a string", "object"),
    ("list item not an object", [{"name": "t/x"}, 7], "events[1]"),
]


@pytest.mark.parametrize(
    ("body", "field"),
    [pytest.param(body, field, id=label) for label, body, field in BAD_BODIES],
)
async def test_a_bad_event_is_refused_naming_the_field(
    http: httpx.AsyncClient, body: Any, field: str
) -> None:
    response = await http.post(EVENT_PATH, json=body)

    assert response.status_code == 400, response.text
    message = response.json()["error"]
    assert field in message, message
    assert await stored_events(http) == []


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"{not json", id="broken"),
        pytest.param(b"", id="empty-body"),
        pytest.param(b'{"name": "t/x"', id="truncated"),
    ],
)
async def test_a_body_that_is_not_json_is_refused(http: httpx.AsyncClient, raw: bytes) -> None:
    response = await http.post(
        EVENT_PATH, content=raw, headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert "JSON" in response.json()["error"]
    assert await stored_events(http) == []


async def test_an_empty_list_is_refused(http: httpx.AsyncClient) -> None:
    response = await http.post(EVENT_PATH, json=[])

    assert response.status_code == 400
    message = response.json()["error"]
    assert "no events" in message or "empty" in message, message
    assert await stored_events(http) == []


async def test_a_list_with_one_bad_event_stores_and_triggers_none(
    engine: Engine, http: httpx.AsyncClient
) -> None:
    calls: list[Any] = []
    client = make_client(engine)
    await serve(engine, client, [counting_function(client, "t/ok", calls)])
    events = [
        {"name": "t/ok", "data": {"n": 1}},
        {"name": "t/ok", "data": {"n": 2}},
        {"name": "t/ok", "data": "not an object"},
    ]

    response = await http.post(EVENT_PATH, json=events)

    assert response.status_code == 400
    message = response.json()["error"]
    assert "events[2]" in message and "data" in message, message
    assert await stored_events(http) == []
    assert await all_runs(http) == []
    metrics = (await http.get("/v0/metrics")).json()["data"]
    assert metrics["runs_started"] == 0
    assert calls == []


async def test_a_refused_send_does_not_disturb_earlier_events(http: httpx.AsyncClient) -> None:
    assert (await http.post(EVENT_PATH, json={"name": "t/good"})).status_code == 200

    bad = await http.post(EVENT_PATH, json=[{"name": "t/later"}, {"name": 1}])

    assert bad.status_code == 400
    assert [e["name"] for e in await stored_events(http)] == ["t/good"]


# -- idempotency by event id ---------------------------------------------------------


async def test_a_repeated_event_id_triggers_nothing_new(
    engine: Engine, http: httpx.AsyncClient
) -> None:
    calls: list[Any] = []
    client = make_client(engine)
    await serve(engine, client, [counting_function(client, "t/dedupe", calls)])
    event = {"name": "t/dedupe", "id": "dedupe-1", "data": {"n": 1}}

    first = await http.post(EVENT_PATH, json=event)
    assert first.status_code == 200
    await poll(lambda: completed_run_count(http, "test-app-count"), "the first run")
    second = await http.post(EVENT_PATH, json=event | {"data": {"n": 2}})
    assert second.status_code == 200
    assert second.json()["status"] == 200
    assert len(second.json()["ids"]) == 1

    # A sentinel event sent afterwards: once its run is done, a duplicate run would exist.
    sentinel = await http.post(EVENT_PATH, json={"name": "t/dedupe", "id": "dedupe-2"})
    assert sentinel.status_code == 200
    await poll(lambda: _count_is(http, "test-app-count", 2), "the sentinel run", timeout=20)
    runs = (await http.get("/v1/events/dedupe-1/runs")).json()["data"]
    assert len(runs) == 1
    assert len(await all_runs(http, function_id="test-app-count")) == 2
    assert sorted(calls) == ["dedupe-1", "dedupe-2"]


async def _count_is(http: httpx.AsyncClient, function_id: str, count: int) -> bool:
    return await completed_run_count(http, function_id) >= count


async def test_a_repeated_id_within_one_list_triggers_one_run(
    engine: Engine, http: httpx.AsyncClient
) -> None:
    calls: list[Any] = []
    client = make_client(engine)
    await serve(engine, client, [counting_function(client, "t/twice", calls)])

    response = await http.post(
        EVENT_PATH,
        json=[{"name": "t/twice", "id": "same"}, {"name": "t/twice", "id": "same"}],
    )

    assert response.status_code == 200
    assert len(response.json()["ids"]) == 2
    await poll(lambda: completed_run_count(http, "test-app-count"), "the run")
    runs = (await http.get("/v1/events/same/runs")).json()["data"]
    assert len(runs) == 1
    assert len(await all_runs(http, function_id="test-app-count")) == 1


# -- limits ------------------------------------------------------------------------------


async def test_an_event_over_3_mib_is_refused(http: httpx.AsyncClient) -> None:
    big = {"name": "t/big", "data": {"blob": "x" * (3 * 1024 * 1024)}}
    response = await http.post(EVENT_PATH, json=[{"name": "t/small"}, big])
    assert response.status_code == 400
    assert "events[1].data" in response.json()["error"]
    assert "3 MiB" in response.json()["error"]
    assert await stored_events(http) == []


async def test_more_than_5000_events_in_one_send_is_refused(http: httpx.AsyncClient) -> None:
    events = [{"name": "t/bulk", "data": {"i": i}} for i in range(5_001)]

    response = await http.post(EVENT_PATH, json=events)

    assert response.status_code == 400
    message = response.json()["error"]
    assert re.search(r"5,?000", message), message
    assert "limit" in message
    assert await stored_events(http) == []


async def test_exactly_5000_events_in_one_send_are_accepted(http: httpx.AsyncClient) -> None:
    events = [{"name": "t/bulk", "data": {"i": i}} for i in range(5_000)]

    response = await http.post(EVENT_PATH, json=events)

    assert response.status_code == 200
    assert len(response.json()["ids"]) == 5_000
    assert len(set(response.json()["ids"])) == 5_000
