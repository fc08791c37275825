"""The engine's HTTP face: event API, SDK registration, Inngest's REST and GraphQL
inspection APIs, and what the dashboard needs.

Locked as Inngest is: with an event key, ``POST /e/{key}`` takes events for that key only;
with a signing key, every other route (registration, REST, GraphQL, cancel, rerun) needs
``Authorization: Bearer`` with the key or the hash an SDK presents. Bodies are read up to
a size, must be JSON (so a web page cannot post a form to the engine), strict JSON (no
NaN or Infinity, bounded nesting); ``inngest/*`` events come from the engine only.
"""

from __future__ import annotations

import hmac
import json
import math
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import graphql_api
from .app_calls import hashed_signing_key
from .config import MAX_API_REQUEST_BYTES, MAX_EVENT_REQUEST_BYTES
from .enums import RunStatus
from .errors import EventValidationError, RegistrationError
from .function_config import FunctionConfig
from .json_shapes import event_view, run_view, step_view
from .read_view import ReadView
from .state import RunRow

RUN_STATUSES = {status.lower(): status for status in RunStatus}
Handler = Callable[[Request], Awaitable[Response]]


class Control(Protocol):
    """What the HTTP APIs may ask of the engine beyond reading its state."""

    def ingest(self, payload: Any) -> list[str]: ...

    def register(self, payload: dict[str, Any]) -> list[str]: ...

    def cancel(self, run_id: str) -> bool: ...

    def rerun(self, run_id: str) -> str | None: ...

    def functions(self) -> list[FunctionConfig]: ...

    def metrics(self) -> dict[str, int]: ...


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status)


def _limit(request: Request, default: int = 50) -> int:
    try:
        return max(1, min(500, int(request.query_params.get("limit", default))))
    except ValueError:
        return default


def _refuse_constant(name: str) -> Any:
    raise EventValidationError(f"body is not strict JSON: {name} is not a JSON value")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise EventValidationError(f"body is not strict JSON: {text[:40]} is out of range")
    return value


async def _read_json(request: Request, limit: int) -> Any:
    """The request's JSON body, read up to ``limit`` bytes; ``_RefusedError`` or
    ``EventValidationError`` saying what is wrong otherwise."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _RefusedError(413, f"request body over {limit} bytes")
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if not kind.endswith("json"):
        raise _RefusedError(415, "send JSON (Content-Type: application/json)")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise _RefusedError(413, f"request body over {limit} bytes")
    try:
        return json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite)
    except RecursionError as exc:
        raise EventValidationError("body is nested too deeply") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, EventValidationError):
            raise
        raise EventValidationError(f"body is not valid JSON: {exc}") from exc


class _RefusedError(Exception):
    """A request refused before it is read whole (413) or parsed (415)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _refusal(exc: Exception) -> Response:
    return _error(exc.status if isinstance(exc, _RefusedError) else 400, str(exc))


def create_http_app(
    engine: Control, view: ReadView, signing_key: str | None, event_key: str | None = None
) -> Starlette:
    """Build the ASGI app serving an engine's APIs over its read-only ``view``."""
    accepted = (
        {f"Bearer {signing_key}", f"Bearer {hashed_signing_key(signing_key)}"}
        if signing_key
        else set()
    )

    def authorized(request: Request) -> bool:
        if not signing_key:
            return True
        presented = request.headers.get("authorization", "")
        return any(hmac.compare_digest(presented, value) for value in accepted)

    def guarded(handler: Handler) -> Handler:
        async def guard(request: Request) -> Response:
            if not authorized(request):
                return _error(401, "invalid or missing signing key (Authorization: Bearer)")
            return await handler(request)

        return guard

    async def send_events(request: Request) -> Response:
        if event_key and not hmac.compare_digest(request.path_params["event_key"], event_key):
            return _error(401, "invalid event key")
        try:
            payload = await _read_json(request, MAX_EVENT_REQUEST_BYTES)
            events = payload if isinstance(payload, list) else [payload]
            for event in events:
                name = event.get("name") if isinstance(event, dict) else None
                if isinstance(name, str) and name.startswith("inngest/"):
                    raise EventValidationError(
                        f"events named inngest/* come from the engine only: {name!r}"
                    )
            ids = engine.ingest(payload)
        except (EventValidationError, _RefusedError) as exc:
            return _refusal(exc)
        return JSONResponse({"ids": ids, "status": 200})

    async def register(request: Request) -> Response:
        try:
            payload = await _read_json(request, MAX_API_REQUEST_BYTES)
            if not isinstance(payload, dict):
                raise RegistrationError("the sync request must be a JSON object")
            functions = engine.register(payload)
        except (RegistrationError, EventValidationError, _RefusedError) as exc:
            return _refusal(exc)
        return JSONResponse({"ok": True, "modified": True, "functions": functions})

    def run_or_404(run_id: str) -> RunRow | Response:
        run = view.run(run_id)
        return run if run is not None else _error(404, f"run {run_id} not found")

    async def list_events(request: Request) -> Response:
        rows = view.events(
            request.query_params.get("name"), _limit(request), request.query_params.get("cursor")
        )
        data = [event_view(row) for row in rows]
        cursor = data[-1]["internal_id"] if data else None
        return JSONResponse({"data": data, "metadata": {"cursor": cursor}})

    async def get_event(request: Request) -> Response:
        found = view.event(request.path_params["event_id"])
        if found is None:
            return _error(404, "event not found")
        return JSONResponse({"data": event_view(found), "metadata": {}})

    async def event_runs(request: Request) -> Response:
        found = view.event(request.path_params["event_id"])
        if found is None:
            return JSONResponse({"data": [], "metadata": {}})
        runs = view.runs_for_event(found.internal_id)
        data = [run_view(r, found.internal_id) for r in runs]
        return JSONResponse({"data": data, "metadata": {}})

    async def get_run(request: Request) -> Response:
        run = run_or_404(request.path_params["run_id"])
        if isinstance(run, Response):
            return run
        return JSONResponse({"data": run_view(run), "metadata": {}})

    async def cancel_run(request: Request) -> Response:
        run = run_or_404(request.path_params["run_id"])
        if isinstance(run, Response):
            return run
        engine.cancel(run.id)
        return JSONResponse({"data": run_view(view.run(run.id) or run)})

    async def run_batch(request: Request) -> Response:
        run = run_or_404(request.path_params["run_id"])
        if isinstance(run, Response):
            return run
        return JSONResponse(view.run_events(run))

    async def run_actions(request: Request) -> Response:
        run = run_or_404(request.path_params["run_id"])
        if isinstance(run, Response):
            return run
        return Response(view.memos_json(run.id), media_type="application/json")

    async def list_runs(request: Request) -> Response:
        status = request.query_params.get("status")
        if status and status.lower() not in RUN_STATUSES:
            return _error(400, f"status must be one of {', '.join(RUN_STATUSES)}")
        runs = view.runs(
            function_id=request.query_params.get("function_id"),
            status=RUN_STATUSES[status.lower()] if status else None,
            limit=_limit(request),
            before=request.query_params.get("cursor"),
        )
        data = [run_view(run) | {"status": run.status} for run in runs]
        cursor = data[-1]["run_id"] if data else None
        return JSONResponse({"data": data, "metadata": {"cursor": cursor}})

    async def run_timeline(request: Request) -> Response:
        run = run_or_404(request.path_params["run_id"])
        if isinstance(run, Response):
            return run
        events = view.run_events(run, first_only=True)
        body = run_view(run) | {
            "status": run.status,
            "error": run.error,
            "event_name": events[0]["name"] if events else None,
            "steps": [step_view(step) for step in view.steps(run.id)],
        }
        return JSONResponse({"data": body})

    async def rerun(request: Request) -> Response:
        try:
            new_id = engine.rerun(request.path_params["run_id"])
        except KeyError as exc:
            return _error(404, f"{exc.args[0]} not found")
        return JSONResponse({"data": {"run_id": new_id}})

    async def functions(_: Request) -> Response:
        data = [c.model_dump(by_alias=True, exclude_none=True) for c in engine.functions()]
        return JSONResponse({"data": data, "apps": view.apps()})

    async def metrics(_: Request) -> Response:
        return JSONResponse({"data": engine.metrics()})

    async def gql(request: Request) -> Response:
        try:
            payload = await _read_json(request, MAX_API_REQUEST_BYTES)
        except (EventValidationError, _RefusedError) as exc:
            return _refusal(exc)
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return _error(400, "a GraphQL request needs a 'query' string")
        variables = payload.get("variables")
        body = await graphql_api.execute(
            view, payload["query"], variables if isinstance(variables, dict) else None
        )
        return JSONResponse(body)

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    open_routes = [
        Route("/e/{event_key}", send_events, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
    ]
    keyed = [
        ("/fn/register", register, "POST"),
        ("/v1/events", list_events, "GET"),
        ("/v1/events/{event_id}", get_event, "GET"),
        ("/v1/events/{event_id}/runs", event_runs, "GET"),
        ("/v1/runs/{run_id}", get_run, "GET"),
        ("/v1/runs/{run_id}", cancel_run, "DELETE"),
        ("/v1/runs/{run_id}/cancel", cancel_run, "POST"),
        ("/v0/runs", list_runs, "GET"),
        ("/v0/runs/{run_id}/batch", run_batch, "GET"),
        ("/v0/runs/{run_id}/actions", run_actions, "GET"),
        ("/v0/runs/{run_id}/timeline", run_timeline, "GET"),
        ("/v0/runs/{run_id}/rerun", rerun, "POST"),
        ("/v0/functions", functions, "GET"),
        ("/v0/metrics", metrics, "GET"),
        ("/v0/gql", gql, "POST"),
    ]
    return Starlette(
        routes=open_routes
        + [Route(path, guarded(handler), methods=[method]) for path, handler, method in keyed]
    )
