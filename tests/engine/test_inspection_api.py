"""Conformance of the inspection APIs: Inngest's REST paths (``/v1``, ``/v0``), the dev
server's GraphQL queries the SDK's test helpers use, and the dashboard's endpoints.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import inngest
import pytest

from sourcesync.engine import Engine

from .conftest import make_client, poll, serve

GET_RUN = "query GetRun($runID: String!) { run(runID: $runID) { status output } }"
BIG_TEXT = "x" * 5_000


def hashed(step_id: str) -> str:
    """The SDK's hashed step id (sha1 of the user-facing id)."""
    return hashlib.sha1(step_id.encode()).hexdigest()


@dataclass
class Api:
    """An HTTP client for the engine, with the waits the tests need."""

    http: httpx.AsyncClient

    async def send(self, name: str, data: dict[str, Any] | None = None, **extra: Any) -> str:
        response = await self.http.post("/e/key", json={"name": name, "data": data or {}} | extra)
        assert response.status_code == 200, response.text
        [event_id] = response.json()["ids"]
        return event_id

    async def runs_of(self, event_id: str, count: int = 1) -> list[dict[str, Any]]:
        async def probe() -> Any:
            response = await self.http.get(f"/v1/events/{event_id}/runs")
            assert response.status_code == 200
            runs = response.json()["data"]
            return runs if len(runs) >= count else None

        return await poll(probe, f"{count} run(s) of event {event_id}")

    async def run(self, run_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/v1/runs/{run_id}")
        assert response.status_code == 200, response.text
        return response.json()["data"]

    async def run_with_status(self, run_id: str, *statuses: str) -> dict[str, Any]:
        async def probe() -> Any:
            run = await self.run(run_id)
            return run if run["status"] in statuses else None

        return await poll(probe, f"run {run_id} to reach {statuses}")

    async def run_to_end(self, event_id: str) -> dict[str, Any]:
        [run] = await self.runs_of(event_id)
        return await self.run_with_status(run["run_id"], "Completed", "Failed", "Cancelled")

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        response = await self.http.post("/v0/gql", json=body)
        assert response.status_code == 200, response.text
        payload = response.json()
        assert not payload.get("errors"), payload["errors"]
        return payload["data"]

    async def metrics(self) -> dict[str, int]:
        response = await self.http.get("/v0/metrics")
        assert response.status_code == 200
        return response.json()["data"]


@pytest.fixture
async def api(engine: Engine) -> AsyncIterator[Api]:
    client = make_client(engine)
    release = asyncio.Event()

    @client.create_function(fn_id="steps", trigger=inngest.TriggerEvent(event="t/steps"))
    async def steps(ctx: inngest.Context) -> dict[str, Any]:
        a = await ctx.step.run("a", lambda: {"x": 1})
        b = await ctx.step.run("b", lambda: ctx.event.data.get("b", "bee"))
        return {"done": True, "a": a, "b": b}

    @client.create_function(fn_id="fails", trigger=inngest.TriggerEvent(event="t/fail"), retries=0)
    async def fails(ctx: inngest.Context) -> None:
        raise ValueError("boom")

    @client.create_function(fn_id="sleeper", trigger=inngest.TriggerEvent(event="t/sleep"))
    async def sleeper(ctx: inngest.Context) -> str:
        await ctx.step.run("before", lambda: "before")
        await ctx.step.sleep("nap", datetime.timedelta(minutes=10))
        return "woke"

    def explode() -> None:
        raise ValueError("step went wrong")

    @client.create_function(
        fn_id="recovers", trigger=inngest.TriggerEvent(event="t/recover"), retries=0
    )
    async def recovers(ctx: inngest.Context) -> str:
        ok = await ctx.step.run("fine", lambda: "fine-output")
        try:
            await ctx.step.run("bad", explode)
        except inngest.StepError as exc:
            return f"{ok}, recovered from {exc.message}"
        return "not reached"

    @client.create_function(fn_id="big", trigger=inngest.TriggerEvent(event="t/big"))
    async def big(ctx: inngest.Context) -> str:
        text = await ctx.step.run("large", lambda: BIG_TEXT)
        return str(len(text))

    @client.create_function(fn_id="gated", trigger=inngest.TriggerEvent(event="t/gated"))
    async def gated(ctx: inngest.Context) -> str:
        await ctx.step.run("gate", lambda: "gate")
        await release.wait()
        return "released"

    await serve(engine, client, [steps, fails, sleeper, recovers, big, gated])
    async with httpx.AsyncClient(base_url=engine.url, timeout=30) as http:
        try:
            yield Api(http)
        finally:
            release.set()


# -- /v1/events ------------------------------------------------------------------------


async def test_event_list_and_name_filter(api: Api) -> None:
    first = await api.send("t/nothing", {"n": 1})
    await api.send("t/other", {"n": 2})

    everything = (await api.http.get("/v1/events")).json()
    filtered = (await api.http.get("/v1/events", params={"name": "t/nothing"})).json()

    assert {e["name"] for e in everything["data"]} == {"t/nothing", "t/other"}
    [only] = filtered["data"]
    assert only["name"] == "t/nothing"
    assert only["data"] == {"n": 1}
    assert first in (only["id"], only["internal_id"])
    assert "ts" in only


async def test_event_runs_by_the_returned_id(api: Api) -> None:
    event_id = await api.send("t/steps")

    [run] = await api.runs_of(event_id)

    assert run["function_id"] == "test-app-steps"
    assert run["event_id"] == event_id
    assert run["status"] in ("Running", "Completed")


async def test_runs_of_an_unknown_event_are_empty(api: Api) -> None:
    response = await api.http.get("/v1/events/no-such-event/runs")

    assert response.status_code == 200
    assert response.json()["data"] == []


# -- /v1/runs --------------------------------------------------------------------------


async def test_a_completed_run_and_its_output(api: Api) -> None:
    event_id = await api.send("t/steps", {"b": "given"})

    run = await api.run_to_end(event_id)

    assert run["status"] == "Completed"
    assert run["output"] == {"done": True, "a": {"x": 1}, "b": "given"}
    assert run["function_id"] == "test-app-steps"
    assert run["ended_at"]
    assert run["run_started_at"]


async def test_a_failed_run_and_its_error(api: Api) -> None:
    run = await api.run_to_end(await api.send("t/fail"))

    assert run["status"] == "Failed"
    assert run["output"]["message"] == "boom"
    assert run["output"]["name"] == "ValueError"


async def test_an_unknown_run_is_404(api: Api) -> None:
    response = await api.http.get("/v1/runs/01NOSUCHRUN0000000000000000")

    assert response.status_code == 404


async def test_a_sleeping_run_is_running_then_cancelled(api: Api) -> None:
    [run] = await api.runs_of(await api.send("t/sleep"))
    run_id = run["run_id"]

    async def sleeping() -> Any:
        timeline = (await api.http.get(f"/v0/runs/{run_id}/timeline")).json()["data"]
        return [s for s in timeline["steps"] if s["name"] == "nap" and s["status"] == "sleeping"]

    await poll(sleeping, "the run to sleep")
    assert (await api.run(run_id))["status"] == "Running"
    assert (await api.gql(GET_RUN, {"runID": run_id}))["run"]["status"] == "RUNNING"

    cancelled = await api.http.delete(f"/v1/runs/{run_id}")

    assert cancelled.status_code == 200
    assert (await api.run(run_id))["status"] == "Cancelled"
    assert (await api.gql(GET_RUN, {"runID": run_id}))["run"]["status"] == "CANCELLED"
    events = await api.http.get("/v1/events", params={"name": "inngest/function.cancelled"})
    [event] = events.json()["data"]
    assert event["data"]["run_id"] == run_id
    assert (await api.metrics())["runs_cancelled"] == 1


async def test_cancelling_an_ended_run_leaves_it_ended(api: Api) -> None:
    run = await api.run_to_end(await api.send("t/steps"))

    response = await api.http.delete(f"/v1/runs/{run['run_id']}")

    assert response.status_code == 200
    assert (await api.run(run["run_id"]))["status"] == "Completed"


async def test_cancelling_an_unknown_run_is_404(api: Api) -> None:
    response = await api.http.delete("/v1/runs/01NOSUCHRUN0000000000000000")

    assert response.status_code == 404


# -- /v0/runs/{id}/batch and /actions ---------------------------------------------------


async def test_batch_lists_the_runs_events(api: Api) -> None:
    event_id = await api.send("t/steps", {"b": "batch"}, id="batch-event")
    run = await api.run_to_end(event_id)

    response = await api.http.get(f"/v0/runs/{run['run_id']}/batch")

    assert response.status_code == 200
    [event] = response.json()
    assert event["name"] == "t/steps"
    assert event["data"] == {"b": "batch"}
    assert event["id"] == "batch-event"
    assert isinstance(event["ts"], int)


async def test_actions_are_memoized_steps_by_hashed_id(api: Api) -> None:
    run = await api.run_to_end(await api.send("t/steps", {"b": "memo"}))

    response = await api.http.get(f"/v0/runs/{run['run_id']}/actions")

    assert response.status_code == 200
    actions = response.json()
    assert actions[hashed("a")] == {"data": {"x": 1}}
    assert actions[hashed("b")] == {"data": "memo"}
    assert len(actions) == 2


async def test_actions_hold_a_memoized_step_error(api: Api) -> None:
    run = await api.run_to_end(await api.send("t/recover"))

    actions = (await api.http.get(f"/v0/runs/{run['run_id']}/actions")).json()

    assert actions[hashed("fine")] == {"data": "fine-output"}
    error = actions[hashed("bad")]["error"]
    assert error["message"] == "step went wrong"
    assert error["name"] == "ValueError"


# -- GraphQL (/v0/gql) -------------------------------------------------------------------


async def test_gql_get_run_completed(api: Api) -> None:
    run = await api.run_to_end(await api.send("t/steps"))

    data = await api.gql(GET_RUN, {"runID": run["run_id"]})

    assert data["run"]["status"] == "COMPLETED"
    assert isinstance(data["run"]["output"], str)
    assert json.loads(data["run"]["output"]) == {"done": True, "a": {"x": 1}, "b": "bee"}


async def test_gql_get_run_failed_has_name_message_stack(api: Api) -> None:
    run = await api.run_to_end(await api.send("t/fail"))

    data = await api.gql(GET_RUN, {"runID": run["run_id"]})

    assert data["run"]["status"] == "FAILED"
    output = json.loads(data["run"]["output"])
    assert output["name"] == "ValueError"
    assert output["message"] == "boom"
    assert isinstance(output["stack"], str) and "boom" in output["stack"]


async def test_gql_unknown_run_is_null(api: Api) -> None:
    data = await api.gql(GET_RUN, {"runID": "01NOSUCHRUN0000000000000000"})

    assert data["run"] is None


async def test_gql_run_trigger_payloads(api: Api) -> None:
    run = await api.run_to_end(await api.send("t/steps", {"b": "trigger"}))

    data = await api.gql(f'query {{ runTrigger(runID: "{run["run_id"]}") {{ payloads }} }}')

    [payload] = data["runTrigger"]["payloads"]
    event = json.loads(payload)
    assert event["name"] == "t/steps"
    assert event["data"] == {"b": "trigger"}


async def test_gql_trace_span_outputs_for_a_success_and_a_memoized_error(api: Api) -> None:
    run = await api.run_to_end(await api.send("t/recover"))
    assert run["status"] == "Completed"
    assert run["output"] == "fine-output, recovered from step went wrong"

    query = (
        "query GetRunTrace($runID: String!) "
        "{ run(runID: $runID) { trace { childrenSpans { name outputID } } } }"
    )
    spans = (await api.gql(query, {"runID": run["run_id"]}))["run"]["trace"]["childrenSpans"]
    by_name = {span["name"]: span["outputID"] for span in spans}
    assert set(by_name) >= {"fine", "bad"}
    assert by_name["fine"] and by_name["bad"]

    output_query = (
        'query {{ runTraceSpanOutputByID(outputID: "{}") '
        "{{ data error {{ message name stack }} }} }}"
    )
    fine = (await api.gql(output_query.format(by_name["fine"])))["runTraceSpanOutputByID"]
    assert json.loads(fine["data"]) == "fine-output"
    assert fine["error"] is None

    bad = (await api.gql(output_query.format(by_name["bad"])))["runTraceSpanOutputByID"]
    assert bad["data"] is None
    assert bad["error"]["message"] == "step went wrong"
    assert bad["error"]["name"] == "ValueError"
    assert isinstance(bad["error"]["stack"], str)


async def test_gql_event_function_runs(api: Api) -> None:
    event_id = await api.send("t/steps")
    run = await api.run_to_end(event_id)

    query = f'query {{ event(query: {{eventId: "{event_id}"}}) {{ functionRuns {{ id }} }} }}'

    data = await api.gql(query)

    assert data["event"]["functionRuns"] == [{"id": run["run_id"]}]


async def test_gql_refuses_a_request_without_a_query(api: Api) -> None:
    response = await api.http.post("/v0/gql", json={"variables": {}})

    assert response.status_code == 400


async def test_gql_reports_errors_for_an_unknown_field(api: Api) -> None:
    response = await api.http.post("/v0/gql", json={"query": "query { nope { id } }"})

    assert response.status_code == 200
    assert response.json()["errors"]


# -- dashboard endpoints -----------------------------------------------------------------


async def test_run_list_filters_by_function_and_status(api: Api) -> None:
    ok = await api.run_to_end(await api.send("t/steps"))
    failed = await api.run_to_end(await api.send("t/fail"))

    async def listed(**params: str) -> list[str]:
        response = await api.http.get("/v0/runs", params=params)
        assert response.status_code == 200
        return [r["run_id"] for r in response.json()["data"]]

    assert set(await listed()) == {ok["run_id"], failed["run_id"]}
    assert await listed(function_id="test-app-steps") == [ok["run_id"]]
    assert await listed(status="Failed") == [failed["run_id"]]
    assert await listed(status="completed") == [ok["run_id"]]
    assert await listed(function_id="test-app-steps", status="Failed") == []
    bad = await api.http.get("/v0/runs", params={"status": "Exploded"})
    assert bad.status_code == 400


async def test_timeline_shows_each_step(api: Api) -> None:
    run = await api.run_to_end(await api.send("t/recover"))

    response = await api.http.get(f"/v0/runs/{run['run_id']}/timeline")

    assert response.status_code == 200
    timeline = response.json()["data"]
    assert timeline["status"] == "Completed"
    assert timeline["event_name"] == "t/recover"
    steps = {step["name"]: step for step in timeline["steps"]}
    fine, bad = steps["fine"], steps["bad"]
    for step in (fine, bad):
        assert {"id", "name", "op", "status", "attempts", "started_at", "ended_at"} <= set(step)
        assert step["started_at"] and step["ended_at"]
        assert step["attempts"] >= 1
    assert fine["id"] == hashed("fine")
    assert fine["op"] == "StepRun"
    assert fine["status"] == "completed"
    # A string is previewed as its text (with or without JSON quotes).
    assert fine["output"]["preview"].strip('"') == "fine-output"
    assert fine["output"]["truncated"] is False
    assert fine["error"] is None
    assert bad["status"] == "failed"
    assert bad["error"]["message"] == "step went wrong"
    assert bad["output"] is None


async def test_timeline_caps_a_large_output(api: Api) -> None:
    run = await api.run_to_end(await api.send("t/big"))

    timeline = (await api.http.get(f"/v0/runs/{run['run_id']}/timeline")).json()["data"]

    [step] = [s for s in timeline["steps"] if s["name"] == "large"]
    assert step["output"]["truncated"] is True
    assert len(step["output"]["preview"]) < len(BIG_TEXT)
    assert step["output"]["size"] >= len(BIG_TEXT)


async def test_timeline_of_an_unknown_run_is_404(api: Api) -> None:
    response = await api.http.get("/v0/runs/01NOSUCHRUN0000000000000000/timeline")

    assert response.status_code == 404


async def test_rerun_starts_a_new_run_of_the_same_event(api: Api) -> None:
    event_id = await api.send("t/steps", {"b": "again"})
    first = await api.run_to_end(event_id)

    response = await api.http.post(f"/v0/runs/{first['run_id']}/rerun")

    assert response.status_code == 200
    new_id = response.json()["data"]["run_id"]
    assert new_id and new_id != first["run_id"]
    second = await api.run_with_status(new_id, "Completed", "Failed")
    assert second["status"] == "Completed"
    assert second["output"] == first["output"]
    assert second["event_id"] == first["event_id"]
    batch = (await api.http.get(f"/v0/runs/{new_id}/batch")).json()
    assert [e["data"] for e in batch] == [{"b": "again"}]
    assert {r["run_id"] for r in await api.runs_of(event_id, 2)} == {first["run_id"], new_id}


async def test_rerun_of_an_unknown_run_is_404(api: Api) -> None:
    response = await api.http.post("/v0/runs/01NOSUCHRUN0000000000000000/rerun")

    assert response.status_code == 404


async def test_metrics_move_as_runs_complete(api: Api) -> None:
    before = await api.metrics()
    assert {
        "runs_started",
        "runs_completed",
        "runs_failed",
        "steps_executed",
        "queue_depth",
    } <= set(before)
    assert before["runs_started"] == 0

    gated = await api.send("t/gated")
    [run] = await api.runs_of(gated)

    async def started() -> Any:
        metrics = await api.metrics()
        return metrics if metrics["runs_started"] == 1 else None

    during = await poll(started, "the gated run to start")
    assert during["runs_completed"] == 0

    await api.run_to_end(await api.send("t/steps"))
    await api.run_to_end(await api.send("t/fail"))
    after = await api.metrics()

    assert after["runs_started"] == 3
    assert after["runs_completed"] == 1
    assert after["runs_failed"] == 1
    assert after["steps_executed"] >= before["steps_executed"] + 2
    assert (await api.run(run["run_id"]))["status"] == "Running"


async def test_queue_depth_counts_a_waiting_item_then_drains(api: Api) -> None:
    [run] = await api.runs_of(await api.send("t/sleep"))

    async def sleeping() -> Any:
        metrics = await api.metrics()
        return metrics if metrics["queue_depth"] >= 1 else None

    await poll(sleeping, "the sleep to be queued")
    await api.http.delete(f"/v1/runs/{run['run_id']}")

    async def drained() -> Any:
        metrics = await api.metrics()
        return metrics if metrics["queue_depth"] == 0 else None

    await poll(drained, "the queue to drain")


async def test_functions_lists_the_registered_functions(api: Api) -> None:
    response = await api.http.get("/v0/functions")

    assert response.status_code == 200
    body = response.json()
    ids = {fn["id"] for fn in body["data"]}
    assert ids == {
        f"test-app-{name}" for name in ("steps", "fails", "sleeper", "recovers", "big", "gated")
    }
    [steps] = [fn for fn in body["data"] if fn["id"] == "test-app-steps"]
    assert steps["triggers"] == [{"event": "t/steps"}]
    assert len(body["apps"]) == 1
