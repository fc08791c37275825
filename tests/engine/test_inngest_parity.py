"""Where the embedded engine must do exactly what Inngest's executor does.

Each test pins one behaviour read from Inngest's Go executor (``pkg/execution/executor``,
``pkg/execution/driver/httpdriver``, ``pkg/execution/state``) or the SDK spec
(``docs/SDK_SPEC.md``), so that a function that works here works on Inngest, and the
reverse.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

import inngest
import inngest.fast_api
import pytest
from fastapi import FastAPI

from sourcesync.engine import Engine, RunRow

from .conftest import make_client, poll

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class RecordingApp:
    """An ASGI wrapper that records every call request the engine makes to the app."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls: list[tuple[str, bool, int]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        query = parse_qs(scope["query_string"].decode())
        ctx = json.loads(body)["ctx"]
        self.calls.append(
            (query["stepId"][0], bool(ctx["disable_immediate_execution"]), int(ctx["attempt"]))
        )
        sent = False

        async def replay() -> MutableMapping[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def serve_recorded(
    engine: Engine, client: inngest.Inngest, functions: list[Any]
) -> RecordingApp:
    app = FastAPI()
    inngest.fast_api.serve(app, client, functions)
    recorder = RecordingApp(app)
    await engine.register_app(recorder, origin=f"http://{client.app_id}.embedded")
    return recorder


async def run_to_end(engine: Engine, name: str, data: dict[str, Any] | None = None) -> RunRow:
    [event_id] = await engine.send({"name": name, "data": data or {}})
    [run] = await engine.wait_for_runs(event_id)
    return await engine.wait_for_run(run.id, timeout=20)


def lifecycle_events(engine: Engine, run_id: str) -> list[dict[str, Any]]:
    """``inngest/function.*`` events about ``run_id``, oldest first."""
    found = [
        body
        for _, body, _ in engine.state.list_events(None, 500)
        if body["name"].startswith("inngest/function.")
        and body["name"] != "inngest/function.invoked"
        and body["data"].get("run_id") == run_id
    ]
    return list(reversed(found))


# -- no-retry signals ------------------------------------------------------------


async def test_a_nested_step_fails_the_run_at_once_with_the_sdks_error(engine: Engine) -> None:
    client = make_client(engine)
    bodies: list[str] = []

    @client.create_function(fn_id="nested", trigger=inngest.TriggerEvent(event="t/nested"))
    async def nested(ctx: inngest.Context) -> Any:
        async def outer() -> str:
            bodies.append("outer")
            return await ctx.step.run("inner", lambda: "inner")

        return await ctx.step.run("outer", outer)

    recorder = await serve_recorded(engine, client, [nested])
    run = await run_to_end(engine, "t/nested")

    assert run.status == "Failed"
    assert run.error["code"] == "step_errored"
    assert run.error["message"] == "Nested steps are not supported."
    # One attempt of the step (no retries despite the default of 4), then the discovery
    # call that raises the memoized error.
    assert bodies == ["outer"]
    assert [attempt for _, _, attempt in recorder.calls] == [0, 0]


async def test_a_400_without_the_no_retry_header_is_retried(engine: Engine) -> None:
    """Inngest obeys the header when present; without it, a 4xx from inngest-py retries."""
    calls: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "POST":
            calls.append(1)
            status = 400 if len(calls) == 1 else 200
            body = b'{"name":"Error","message":"bad"}' if status == 400 else b'"ok"'
            await send({"type": "http.response.start", "status": status, "headers": []})
            await send({"type": "http.response.body", "body": body})
            return
        await inner(scope, receive, send)

    client = make_client(engine)

    @client.create_function(fn_id="four", retries=2, trigger=inngest.TriggerEvent(event="t/400"))
    async def four(ctx: inngest.Context) -> str:
        return "unused"

    inner = FastAPI()
    inngest.fast_api.serve(inner, client, [four])
    await engine.register_app(app, origin="http://test-app.embedded")
    run = await run_to_end(engine, "t/400")

    assert run.status == "Completed"
    assert run.output == "ok"
    assert len(calls) == 2


# -- error shapes ------------------------------------------------------------------


async def test_invoke_timeout_has_inngests_message(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="slow", trigger=inngest.TriggerEvent(event="t/never"))
    async def slow(ctx: inngest.Context) -> None:
        await ctx.step.sleep("long", datetime.timedelta(hours=1))

    @client.create_function(fn_id="caller", trigger=inngest.TriggerEvent(event="t/call"))
    async def caller(ctx: inngest.Context) -> Any:
        try:
            await ctx.step.invoke(
                "late", function=slow, data={}, timeout=datetime.timedelta(seconds=1)
            )
        except inngest.StepError as exc:
            return {"name": exc.name, "message": exc.message}
        return None

    recorder = await serve_recorded(engine, client, [slow, caller])
    run = await run_to_end(engine, "t/call")

    assert recorder.calls
    assert run.output == {
        "name": "InngestInvokeTimeoutError",
        "message": "Timed out waiting for invoked function to complete",
    }
    [memo] = [json.loads(s.memo or "null") for s in engine.state.steps(run.id)]
    assert memo == {
        "error": {
            "error": "InngestInvokeTimeoutError: Timed out waiting for invoked function to complete",
            "name": "InngestInvokeTimeoutError",
            "message": "Timed out waiting for invoked function to complete",
        }
    }


async def test_function_failed_carries_the_error_field(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="five", retries=0, trigger=inngest.TriggerEvent(event="t/500"))
    async def five(ctx: inngest.Context) -> Any:
        raise ValueError("it broke")

    await serve_recorded(engine, client, [five])
    run = await run_to_end(engine, "t/500")
    assert run.status == "Failed"

    events = await poll_events(engine, run.id, 2)
    assert [e["name"] for e in events] == ["inngest/function.finished", "inngest/function.failed"]
    error = events[1]["data"]["error"]
    assert error["error"] == "invalid status code: 500"
    assert error["name"] == "ValueError"
    assert error["message"] == "it broke"
    assert "it broke" in error["stack"]
    assert events[1]["id"] == run.id
    assert events[0]["data"] == events[1]["data"]


async def test_a_non_retriable_function_error_is_named_so(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="give-up", trigger=inngest.TriggerEvent(event="t/give-up"))
    async def give_up(ctx: inngest.Context) -> Any:
        raise inngest.NonRetriableError("stop")

    await serve_recorded(engine, client, [give_up])
    run = await run_to_end(engine, "t/give-up")

    events = await poll_events(engine, run.id, 2)
    assert events[1]["data"]["error"]["error"] == "NonRetriableError"
    assert events[1]["data"]["error"]["message"] == "stop"


async def test_unserializable_output_is_the_sdks_error_without_a_stack(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="odd", retries=0, trigger=inngest.TriggerEvent(event="t/odd"))
    async def odd(ctx: inngest.Context) -> Any:
        return {"when": object()}

    await serve_recorded(engine, client, [odd])
    run = await run_to_end(engine, "t/odd")

    assert run.status == "Failed"
    assert set(run.error) == {"code", "message", "name"}
    assert run.error["code"] == "output_unserializable"


async def test_engine_errors_have_inngests_standard_error_shape(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="big", retries=0, trigger=inngest.TriggerEvent(event="t/big"))
    async def big(ctx: inngest.Context) -> Any:
        return await ctx.step.run("huge", lambda: "x" * (5 * 1024 * 1024))

    await serve_recorded(engine, client, [big])
    run = await run_to_end(engine, "t/big")

    assert run.status == "Failed"
    assert set(run.error) == {"error", "name", "message"}
    assert run.error["error"] == f"{run.error['name']}: {run.error['message']}"


# -- lifecycle events ------------------------------------------------------------


async def poll_events(engine: Engine, run_id: str, count: int) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        events = lifecycle_events(engine, run_id)
        return events if len(events) >= count else None

    events: list[dict[str, Any]] = await poll(probe, f"{count} lifecycle events of {run_id}")
    return events


async def test_function_finished_payload_matches_inngest(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="fine", trigger=inngest.TriggerEvent(event="t/fine"))
    async def fine(ctx: inngest.Context) -> Any:
        return {"sum": 3}

    await serve_recorded(engine, client, [fine])
    run = await run_to_end(engine, "t/fine", {"a": 1})

    [finished] = await poll_events(engine, run.id, 1)
    data = finished["data"]
    assert set(data) == {"function_id", "run_id", "event", "events", "result", "_inngest"}
    assert data["result"] == {"sum": 3}
    assert [e["data"] for e in data["events"]] == [{"a": 1}]
    assert data["_inngest"] == {"status": "Completed"}


async def test_a_cancelled_run_emits_finished_then_cancelled(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="nap", trigger=inngest.TriggerEvent(event="t/nap"))
    async def nap(ctx: inngest.Context) -> None:
        await ctx.step.sleep("nap", datetime.timedelta(hours=1))

    await serve_recorded(engine, client, [nap])
    [event_id] = await engine.send({"name": "t/nap", "data": {}})
    [run] = await engine.wait_for_runs(event_id)
    await poll(lambda: _has_steps(engine, run.id), "the sleep to be recorded")
    engine.cancel(run.id)

    events = await poll_events(engine, run.id, 2)
    assert [e["name"] for e in events] == [
        "inngest/function.finished",
        "inngest/function.cancelled",
    ]
    assert events[1]["id"] == run.id
    assert events[0]["data"]["_inngest"] == {"status": "Cancelled"}
    assert "error" not in events[0]["data"]
    assert "result" not in events[0]["data"]


async def _has_steps(engine: Engine, run_id: str) -> bool:
    return bool(engine.state.steps(run_id))


# -- request pattern ---------------------------------------------------------------


async def test_parallel_steps_follow_inngests_request_pattern(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="par", trigger=inngest.TriggerEvent(event="t/par"))
    async def par(ctx: inngest.Context) -> list[str]:
        left, right = await ctx.group.parallel(
            (lambda: ctx.step.run("left", lambda: "L"), lambda: ctx.step.run("right", lambda: "R"))
        )
        after = await ctx.step.run("after", lambda: "A")
        return [left, right, after]

    recorder = await serve_recorded(engine, client, [par])
    run = await run_to_end(engine, "t/par")

    assert run.status == "Completed", run.error
    assert run.output == ["L", "R", "A"]
    ids = {s.name: s.id for s in engine.state.steps(run.id)}
    # 1: discovery plans both; 2-3: one targeted call each; 4: discovery with immediate
    # execution disabled plans "after"; 5: its targeted call; 6: the final discovery.
    calls = [(step, disabled) for step, disabled, _ in recorder.calls]
    assert len(calls) == 6
    assert calls[0] == ("step", False)
    assert sorted(calls[1:3]) == sorted([(ids["left"], True), (ids["right"], True)])
    assert calls[3:] == [("step", True), (ids["after"], True), ("step", True)]


async def test_sequential_steps_run_immediately_in_discovery_calls(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="seq", trigger=inngest.TriggerEvent(event="t/seq"))
    async def seq(ctx: inngest.Context) -> list[str]:
        return [await ctx.step.run(f"s{i}", lambda i=i: f"v{i}") for i in range(3)]

    recorder = await serve_recorded(engine, client, [seq])
    run = await run_to_end(engine, "t/seq")

    assert run.output == ["v0", "v1", "v2"]
    assert [(s, d) for s, d, _ in recorder.calls] == [("step", False)] * 4


async def test_attempt_counts_retries_of_one_step_and_restarts_after_it(engine: Engine) -> None:
    client = make_client(engine)
    seen: list[tuple[str, int]] = []

    def flaky() -> str:
        if len([s for s in seen if s[0] == "flaky"]) < 3:
            seen.append(("flaky", -1))
            raise RuntimeError("not yet")
        return "ok"

    @client.create_function(fn_id="att", retries=4, trigger=inngest.TriggerEvent(event="t/att"))
    async def att(ctx: inngest.Context) -> str:
        await ctx.step.run("flaky", flaky)
        seen.append(("after", ctx.attempt))
        return await ctx.step.run("done", lambda: "done")

    recorder = await serve_recorded(engine, client, [att])
    run = await run_to_end(engine, "t/att")

    assert run.status == "Completed", run.error
    assert [attempt for _, _, attempt in recorder.calls] == [0, 1, 2, 3, 0, 0]


@pytest.mark.parametrize("op", ["StepRun", "Step"])
async def test_a_single_opcode_object_in_a_206_is_accepted(engine: Engine, op: str) -> None:
    """Inngest's executor parses a 206 body that is one opcode object, not a list, and
    takes ``Step``, the older name of ``StepRun``."""
    step_id = "a" * 40
    calls: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "POST":
            calls.append(1)
            if len(calls) == 1:
                status, body = 206, json.dumps({"id": step_id, "op": op, "data": 7})
            else:
                status, body = 200, '"done"'
            await send({"type": "http.response.start", "status": status, "headers": []})
            await send({"type": "http.response.body", "body": body.encode()})
            return
        await inner(scope, receive, send)

    client = make_client(engine)

    @client.create_function(fn_id="one", trigger=inngest.TriggerEvent(event="t/one"))
    async def one(ctx: inngest.Context) -> str:
        return "unused"

    inner = FastAPI()
    inngest.fast_api.serve(inner, client, [one])
    await engine.register_app(app, origin="http://test-app.embedded")
    run = await run_to_end(engine, "t/one")

    assert run.status == "Completed", run.error
    [step] = engine.state.steps(run.id)
    assert json.loads(step.memo or "null") == {"data": 7}
