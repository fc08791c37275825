"""Sync pages: sources (with "Sync now" and "Full sync"), jobs (live progress while they
run, metrics when done) and one job's page: its metrics, its per-document errors, and the
trace of its runs. Every read is of the viewer's workspace only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import inngest
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sourcesync import actions, db

from .context import Dashboard, Viewer
from .engine_views import now_ms
from .guards import form_of, page
from .job_trace import job_trace
from .rendering import refuse, render

JOBS_PER_PAGE = 50
MAX_FAILURES_SHOWN = 500
ACTIVE_JOB_STATUSES = frozenset({str(db.JobStatus.QUEUED), str(db.JobStatus.RUNNING)})


def _ms(iso: str | None) -> int | None:
    return int(datetime.fromisoformat(iso).timestamp() * 1000) if iso else None


def _sources(dashboard: Dashboard, workspace_id: str) -> list[dict[str, Any]]:
    services = dashboard.services
    with services.reading() as session:
        rows = db.list_sources(session, workspace_id)
    return [actions.source_view(services, row) for row in rows]


def _jobs(
    dashboard: Dashboard, workspace_id: str, source: str | None, status: str | None, offset: int
) -> tuple[list[dict[str, Any]], list[db.Source]]:
    with dashboard.services.reading() as session:
        sources = db.list_sources(session, workspace_id)
        source_id = db.require_source(session, workspace_id, source).id if source else None
        jobs = db.list_jobs(
            session,
            workspace_id,
            source_id=source_id,
            status=db.JobStatus(status) if status else None,
            limit=JOBS_PER_PAGE,
            offset=offset,
        )
        names = {row.id: row.name for row in sources}
        for job in jobs:
            if job.source_id not in names:
                removed = db.get_source(session, workspace_id, job.source_id, removed=True)
                names[job.source_id] = removed.name if removed else job.source_id
    lines = [
        {
            "job": job,
            "source": names[job.source_id],
            "progress": actions.job_progress(job),
            "active": str(job.status) in ACTIVE_JOB_STATUSES,
        }
        for job in jobs
    ]
    return lines, sources


def _job(dashboard: Dashboard, job_id: str, workspace_id: str) -> dict[str, Any]:
    """The job as the API shows it, with its failed batches (kind, index, error)."""
    view = actions.job_view(dashboard.services, job_id, workspace_id)
    with dashboard.services.reading() as session:
        failed = db.failed_batches(session, view["jobId"])
    return view | {
        "failedBatches": [
            {"kind": str(b.kind), "index": b.batch_index, "error": b.error} for b in failed
        ]
    }


def sync_routes(dashboard: Dashboard) -> list[Route]:
    services = dashboard.services

    async def home(request: Request, viewer: Viewer) -> Response:
        return RedirectResponse("/jobs", status_code=303)

    async def sources(request: Request, viewer: Viewer) -> Response:
        rows = await services.in_thread(_sources, dashboard, viewer.workspace_id)
        live = any(
            row["lastJob"] and row["lastJob"]["status"] in ACTIVE_JOB_STATUSES for row in rows
        )
        return render(request, viewer, "sources.html", sources=rows, live=live)

    async def sync_now(request: Request, viewer: Viewer) -> Response:
        full = form_of(request).get("mode") == "full"
        try:
            job, event = await services.in_thread(
                lambda: actions.queue_sync(
                    services,
                    request.path_params["source_id"],
                    full=full,
                    trigger=str(db.JobTrigger.API),
                    workspace=viewer.workspace_id,
                )
            )
        except db.SourceNotFoundError as exc:
            return refuse(request, viewer, 404, str(exc))
        await dashboard.client.send(inngest.Event(name=event.name, data=event.to_data()))
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    async def jobs(request: Request, viewer: Viewer) -> Response:
        params = request.query_params
        status = params.get("status") or None
        if status and status not in set(db.JobStatus):
            return refuse(request, viewer, 400, f"status must be one of {', '.join(db.JobStatus)}")
        try:
            offset = max(0, int(params.get("offset", "0")))
        except ValueError:
            return refuse(request, viewer, 400, "offset must be a number")
        source = params.get("source") or None
        try:
            lines, all_sources = await services.in_thread(
                _jobs, dashboard, viewer.workspace_id, source, status, offset
            )
        except db.SourceNotFoundError as exc:
            return refuse(request, viewer, 404, str(exc))
        return render(
            request,
            viewer,
            "jobs.html",
            lines=lines,
            sources=all_sources,
            source=source or "",
            status=status or "",
            statuses=list(db.JobStatus),
            offset=offset,
            next_offset=offset + JOBS_PER_PAGE if len(lines) == JOBS_PER_PAGE else None,
            live=any(line["active"] for line in lines),
        )

    async def job(request: Request, viewer: Viewer) -> Response:
        job_id = request.path_params["job_id"]
        try:
            view = await services.in_thread(_job, dashboard, job_id, viewer.workspace_id)
        except db.JobNotFoundError as exc:
            return refuse(request, viewer, 404, str(exc))
        created = _ms(view["createdAt"]) or now_ms()
        trace = (
            job_trace(dashboard.engine, view["jobId"], created, _ms(view["finishedAt"]), now_ms())
            if dashboard.engine is not None
            else None
        )
        return render(
            request,
            viewer,
            "job.html",
            job=view,
            failures=view["failures"][:MAX_FAILURES_SHOWN],
            trace=trace,
            live=view["status"] in ACTIVE_JOB_STATUSES,
        )

    async def cancel(request: Request, viewer: Viewer) -> Response:
        job_id = request.path_params["job_id"]
        try:
            job_row, event = await services.in_thread(
                actions.cancel_job, services, job_id, viewer.workspace_id
            )
        except db.JobNotFoundError as exc:
            return refuse(request, viewer, 404, str(exc))
        except actions.JobEndedError as exc:
            return refuse(request, viewer, 409, str(exc))
        await dashboard.client.send(inngest.Event(name=event.name, data=event.to_data()))
        return RedirectResponse(f"/jobs/{job_row.id}", status_code=303)

    return [
        page(dashboard, "/", home),
        page(dashboard, "/sources", sources),
        page(dashboard, "/sources/{source_id}/sync", sync_now, acting=True),
        page(dashboard, "/jobs", jobs),
        page(dashboard, "/jobs/{job_id}", job),
        page(dashboard, "/jobs/{job_id}/cancel", cancel, acting=True),
    ]
