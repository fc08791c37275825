"""Engine pages for events and functions: the event stream (newest first, by name, with
each event's payload and the runs it triggered), the "Send event" form, and every
registered function with its configuration and an "Invoke" form."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sourcesync.engine import Engine, EventValidationError
from sourcesync.engine.json_shapes import capped

from .context import Dashboard, Viewer, json_object
from .engine_views import PAGE_SIZE, run_lines
from .guards import form_of, page
from .rendering import SECURITY_HEADERS, refuse, render

ENGINE_ONLY = (
    "the workflows run on Inngest here, not on the embedded engine: open Inngest's own "
    "dashboard for events, functions and runs"
)


def needs_engine(dashboard: Dashboard, request: Request, viewer: Viewer) -> Engine | Response:
    """The embedded engine, or a page saying why not: another runtime runs the workflows,
    or the viewer's token is of another workspace than the home's own. The engine runs
    every workspace's syncs, so its pages (every run and event) are for the home's
    workspace only; other workspaces see their jobs and traces on the sync pages."""
    if dashboard.engine is None:
        return refuse(request, viewer, 404, ENGINE_ONLY)
    home = dashboard.services.settings.workspace
    if viewer.workspace_id != home:
        return refuse(
            request,
            viewer,
            403,
            f"the engine pages show every workspace's runs: they are for tokens of "
            f"workspace {home!r}; your jobs and their traces are on the Jobs page",
        )
    return dashboard.engine


def event_routes(dashboard: Dashboard) -> list[Route]:
    async def events(request: Request, viewer: Viewer) -> Response:
        engine = needs_engine(dashboard, request, viewer)
        if isinstance(engine, Response):
            return engine
        name = request.query_params.get("name") or None
        before = request.query_params.get("before") or None
        rows = engine.view.events(name, PAGE_SIZE, before)
        triggered = {row.internal_id: engine.view.runs_for_event(row.internal_id) for row in rows}
        return render(
            request,
            viewer,
            "events.html",
            rows=rows,
            triggered=triggered,
            name=name or "",
            next_before=rows[-1].internal_id if len(rows) == PAGE_SIZE else None,
        )

    async def event(request: Request, viewer: Viewer) -> Response:
        engine = needs_engine(dashboard, request, viewer)
        if isinstance(engine, Response):
            return engine
        found = engine.view.event(request.path_params["event_id"])
        if found is None:
            return refuse(request, viewer, 404, "no such event (it may have been pruned)")
        runs = run_lines(engine, engine.view.runs_for_event(found.internal_id))
        return render(
            request, viewer, "event.html", row=found, payload=capped(found.event), runs=runs
        )

    async def payload(request: Request, viewer: Viewer) -> Response:
        engine = needs_engine(dashboard, request, viewer)
        if isinstance(engine, Response):
            return engine
        found = engine.view.event(request.path_params["event_id"])
        if found is None:
            return refuse(request, viewer, 404, "no such event (it may have been pruned)")
        return JSONResponse(found.event, headers=SECURITY_HEADERS)

    async def send_form(request: Request, viewer: Viewer) -> Response:
        engine = needs_engine(dashboard, request, viewer)
        if isinstance(engine, Response):
            return engine
        names = sorted({t.event for fn in engine.functions() for t in fn.event_triggers})
        return render(request, viewer, "send.html", names=names, name="", data="{}", message=None)

    async def send(request: Request, viewer: Viewer) -> Response:
        engine = needs_engine(dashboard, request, viewer)
        if isinstance(engine, Response):
            return engine
        form = form_of(request)
        name, text = str(form.get("name", "")).strip(), str(form.get("data", ""))
        try:
            if name.startswith("inngest/"):
                raise ValueError(f"events named inngest/* come from the engine only: {name!r}")
            [internal_id] = engine.ingest({"name": name, "data": json_object(text, "data")})
        except (ValueError, EventValidationError) as exc:
            names = sorted({t.event for fn in engine.functions() for t in fn.event_triggers})
            return render(
                request,
                viewer,
                "send.html",
                status_code=400,
                names=names,
                name=name,
                data=text,
                message=str(exc),
            )
        return RedirectResponse(f"/events/{internal_id}", status_code=303)

    async def functions(request: Request, viewer: Viewer) -> Response:
        engine = needs_engine(dashboard, request, viewer)
        if isinstance(engine, Response):
            return engine
        configs = sorted(engine.functions(), key=lambda config: config.id)
        return render(request, viewer, "functions.html", functions=configs)

    async def function(request: Request, viewer: Viewer, message: str | None = None) -> Response:
        engine = needs_engine(dashboard, request, viewer)
        if isinstance(engine, Response):
            return engine
        fn_id = request.path_params["function_id"]
        config = next((c for c in engine.functions() if c.id == fn_id), None)
        if config is None:
            return refuse(request, viewer, 404, f"no function {fn_id!r} is registered")
        recent = run_lines(engine, engine.view.runs(function_id=fn_id, limit=10))
        return render(
            request,
            viewer,
            "function.html",
            status_code=400 if message else 200,
            config=config,
            raw=config.model_dump(by_alias=True, exclude_none=True),
            recent=recent,
            message=message,
        )

    async def invoke(request: Request, viewer: Viewer) -> Response:
        engine = needs_engine(dashboard, request, viewer)
        if isinstance(engine, Response):
            return engine
        fn_id = request.path_params["function_id"]
        try:
            run_id = engine.invoke(fn_id, json_object(str(form_of(request).get("data")), "data"))
        except KeyError:
            return refuse(request, viewer, 404, f"no function {fn_id!r} is registered")
        except (ValueError, EventValidationError) as exc:
            return await function(request, viewer, str(exc))
        if run_id is None:
            return await function(request, viewer, "the function's flow control skipped the run")
        return RedirectResponse(f"/runs/{run_id}", status_code=303)

    return [
        page(dashboard, "/events", events),
        page(dashboard, "/events/{event_id}", event),
        page(dashboard, "/events/{event_id}/payload", payload),
        page(dashboard, "/send", send_form),
        page(dashboard, "/send", send, acting=True),
        page(dashboard, "/functions", functions),
        page(dashboard, "/functions/{function_id}", function),
        page(dashboard, "/functions/{function_id}/invoke", invoke, acting=True),
    ]
