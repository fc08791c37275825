"""Engine pages for runs: the list (by function, status and time, newest first), one
run's page (its trigger, its steps as a timeline, sleeps and waits with their deadlines,
invoked runs linked, output or error) with Cancel and Rerun, and a step's whole output."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sourcesync.engine import RunStatus
from sourcesync.engine.read_view import run_result

from .context import Dashboard, Viewer
from .engine_views import (
    PAGE_SIZE,
    full_step_output,
    now_ms,
    run_lines,
    run_outcome,
    step_lines,
)
from .event_pages import needs_engine
from .guards import page
from .rendering import SECURITY_HEADERS, refuse, render
from .timeline import Span, lay_out

STATUSES = {status.value.lower(): status for status in RunStatus}
PERIODS_MS = {"1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000}


def run_routes(dashboard: Dashboard) -> list[Route]:
    async def runs(request: Request, viewer: Viewer) -> Response:
        engine = needs_engine(dashboard, request, viewer)
        if isinstance(engine, Response):
            return engine
        params = request.query_params
        status_word = params.get("status", "").lower()
        if status_word and status_word not in STATUSES:
            return refuse(request, viewer, 400, f"status must be one of {', '.join(STATUSES)}")
        period = params.get("period", "")
        if period and period not in PERIODS_MS:
            return refuse(request, viewer, 400, f"period must be one of {', '.join(PERIODS_MS)}")
        function_id = params.get("function") or None
        rows = engine.view.runs(
            function_id=function_id,
            status=STATUSES[status_word] if status_word else None,
            limit=PAGE_SIZE,
            before=params.get("before") or None,
            since_ms=now_ms() - PERIODS_MS[period] if period else None,
        )
        lines = run_lines(engine, rows)
        return render(
            request,
            viewer,
            "runs.html",
            lines=lines,
            live=any(line.active for line in lines),
            functions=sorted(config.id for config in engine.functions()),
            function_id=function_id or "",
            status=status_word,
            statuses=list(STATUSES),
            period=period,
            periods=list(PERIODS_MS),
            next_before=rows[-1].id if len(rows) == PAGE_SIZE else None,
        )

    async def run(request: Request, viewer: Viewer) -> Response:
        engine = needs_engine(dashboard, request, viewer)
        if isinstance(engine, Response):
            return engine
        found = engine.view.run(request.path_params["run_id"])
        if found is None:
            return refuse(request, viewer, 404, "no such run (it may have been pruned)")
        [line] = run_lines(engine, [found])
        steps = step_lines(engine, found)
        start = found.started_at or found.created_at
        spans = [
            Span(
                label=step.step.name,
                start_ms=step.step.started_at or start,
                end_ms=step.step.ended_at,
                status=str(step.step.status),
            )
            for step in steps
        ]
        parent = engine.view.run(found.parent_run_id) if found.parent_run_id else None
        return render(
            request,
            viewer,
            "run.html",
            line=line,
            run=found,
            steps=steps,
            bars=lay_out(spans, start, found.ended_at or now_ms()),
            outcome=run_outcome(found),
            parent=parent,
            live=line.active,
        )

    async def step_output(request: Request, viewer: Viewer) -> Response:
        engine = needs_engine(dashboard, request, viewer)
        if isinstance(engine, Response):
            return engine
        step = engine.view.step(request.path_params["run_id"], request.path_params["step_id"])
        if step is None:
            return refuse(request, viewer, 404, "no such step")
        return Response(
            full_step_output(step), media_type="application/json", headers=SECURITY_HEADERS
        )

    async def run_output(request: Request, viewer: Viewer) -> Response:
        engine = needs_engine(dashboard, request, viewer)
        if isinstance(engine, Response):
            return engine
        found = engine.view.run(request.path_params["run_id"])
        if found is None:
            return refuse(request, viewer, 404, "no such run")
        return JSONResponse(run_result(found), headers=SECURITY_HEADERS)

    async def cancel(request: Request, viewer: Viewer) -> Response:
        engine = needs_engine(dashboard, request, viewer)
        if isinstance(engine, Response):
            return engine
        run_id = request.path_params["run_id"]
        try:
            engine.cancel(run_id)
        except KeyError:
            return refuse(request, viewer, 404, "no such run")
        return RedirectResponse(f"/runs/{run_id}", status_code=303)

    async def rerun(request: Request, viewer: Viewer) -> Response:
        engine = needs_engine(dashboard, request, viewer)
        if isinstance(engine, Response):
            return engine
        try:
            new_id = engine.rerun(request.path_params["run_id"])
        except KeyError as exc:
            return refuse(request, viewer, 404, f"{exc.args[0]} not found (no longer registered?)")
        if new_id is None:
            return refuse(request, viewer, 409, "the function's flow control skipped the rerun")
        return RedirectResponse(f"/runs/{new_id}", status_code=303)

    return [
        page(dashboard, "/runs", runs),
        page(dashboard, "/runs/{run_id}", run),
        page(dashboard, "/runs/{run_id}/output", run_output),
        page(dashboard, "/runs/{run_id}/steps/{step_id}", step_output),
        page(dashboard, "/runs/{run_id}/cancel", cancel, acting=True),
        page(dashboard, "/runs/{run_id}/rerun", rerun, acting=True),
    ]
