"""The wire, as Inngest's executor has it: answers it cannot read, and the headers of its
call requests (``pkg/execution/driver/httpdriver``, ``docs/SDK_SPEC.md``)."""

from __future__ import annotations

import json
from typing import Any

import inngest
import inngest.fast_api
import pytest
from fastapi import FastAPI

from sourcesync.engine import Engine

from .conftest import make_client
from .test_inngest_parity import Receive, Scope, Send, run_to_end

STEP_ID = "a" * 40


async def scripted_app(
    engine: Engine, answers: list[tuple[int, Any, dict[str, str]]], retries: int = 3
) -> list[dict[str, str]]:
    """Register an app whose calls get ``answers`` in turn (the last one repeats); return
    the headers of each call request, as the app saw them, with ``ctx.request_id``."""
    seen: list[dict[str, str]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            await inner(scope, receive, send)
            return
        message = await receive()
        ctx = json.loads(message["body"])["ctx"]
        # The headers, and the request id the body's ctx carries beside them.
        seen.append({k.decode(): v.decode() for k, v in scope["headers"]})
        seen[-1]["ctx.request_id"] = ctx.get("request_id", "")
        status, body, headers = answers[min(len(seen), len(answers)) - 1]
        raw_headers = [(k.encode(), v.encode()) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})

    client = make_client(engine)

    @client.create_function(
        fn_id="scripted", retries=retries, trigger=inngest.TriggerEvent(event="t/scripted")
    )
    async def scripted(ctx: inngest.Context) -> str:
        return "unused"

    inner = FastAPI()
    inngest.fast_api.serve(inner, client, [scripted])
    await engine.register_app(app, origin="http://test-app.embedded")
    return seen


# -- answers the executor cannot read ----------------------------------------------


async def test_an_unknown_opcode_is_a_call_error_that_is_retried(engine: Engine) -> None:
    """Inngest's driver fails to decode the opcode (``enums.Opcode``), discards the whole
    answer and the executor retries the call like any error; ours failed the run at once."""
    unknown = [
        {"id": STEP_ID, "op": "StepRun", "data": 1},
        {"id": "b" * 40, "op": "Teleport"},
    ]
    seen = await scripted_app(engine, [(206, unknown, {}), (200, "ok", {})])
    run = await run_to_end(engine, "t/scripted")

    assert run.status == "Completed", run.error
    assert run.output == "ok"
    assert len(seen) == 2
    # Nothing of the unreadable answer was applied, not even its readable StepRun.
    assert engine.state.steps(run.id) == []


@pytest.mark.parametrize(
    ("op", "reason"),
    [
        ("Teleport", "Teleport does not belong to Opcode values"),
        (5, "Opcode should be a string, got 5"),
    ],
)
async def test_an_unknown_opcode_fails_the_run_once_retries_are_spent(
    engine: Engine, op: Any, reason: str
) -> None:
    answer = [{"id": STEP_ID, "op": op}]
    # The no-retry header does not stop the retries: Inngest discards the answer with it.
    seen = await scripted_app(engine, [(206, answer, {"x-inngest-no-retry": "true"})], retries=1)
    run = await run_to_end(engine, "t/scripted")

    message = f"error reading generator opcode response: {reason}"
    assert run.status == "Failed"
    assert run.error == {"error": message, "name": "Error", "message": message}
    assert len(seen) == 2


async def test_an_opcode_inngest_knows_but_this_engine_lacks_fails_the_run(
    engine: Engine,
) -> None:
    await scripted_app(engine, [(206, [{"id": STEP_ID, "op": "WaitForSignal"}], {})])
    run = await run_to_end(engine, "t/scripted")

    assert run.status == "Failed"
    assert "does not support step op 'WaitForSignal'" in run.error["message"]


# -- the call request's headers ------------------------------------------------------


async def test_call_requests_carry_the_headers_inngests_executor_sends(engine: Engine) -> None:
    """``httpdriver.do``: the run id, the step being called, a fresh request id per call,
    ``User-Agent: Inngest``; the SDK and server-kind headers only go with a sync."""
    planned = [{"id": STEP_ID, "op": "StepPlanned", "name": "later"}]
    ran = [{"id": STEP_ID, "op": "StepRun", "name": "later", "data": 1}]
    seen = await scripted_app(engine, [(206, planned, {}), (206, ran, {}), (200, "ok", {})])
    run = await run_to_end(engine, "t/scripted")

    assert run.status == "Completed", run.error
    assert [headers["x-run-id"] for headers in seen] == [run.id] * len(seen)
    assert [headers["x-inngest-step-id"] for headers in seen] == ["step", STEP_ID, "step"]
    request_ids = [headers["x-request-id"] for headers in seen]
    assert len(set(request_ids)) == len(request_ids)
    assert all(len(request_id) == 26 for request_id in request_ids)
    assert [headers["ctx.request_id"] for headers in seen] == request_ids
    for headers in seen:
        assert headers["user-agent"] == "Inngest"
        assert headers["content-type"] == "application/json"
        assert "x-inngest-sdk" not in headers
        assert "x-inngest-server-kind" not in headers
        # Unsigned: this engine has no signing key (test_signing covers signed calls).
        assert "x-inngest-signature" not in headers


async def test_a_function_sees_the_request_id_as_on_inngest(engine: Engine) -> None:
    client = make_client(engine)

    @client.create_function(fn_id="ids", trigger=inngest.TriggerEvent(event="t/ids"))
    async def ids(ctx: inngest.Context) -> Any:
        return {"request_id": ctx.request_id, "run_id": ctx.run_id}

    app = FastAPI()
    inngest.fast_api.serve(app, client, [ids])
    await engine.register_app(app)
    run = await run_to_end(engine, "t/ids")

    assert run.status == "Completed", run.error
    assert run.output["run_id"] == run.id
    assert isinstance(run.output["request_id"], str)
    assert len(run.output["request_id"]) == 26
