"""The sourcesync HTTP app: ``/api/inngest`` for the workflow runtime, and the REST API."""

from __future__ import annotations

from typing import Any, Literal

import inngest
import inngest.fast_api
from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel, Field

from sourcesync import actions, db
from sourcesync.api.webhooks import create_webhook_router
from sourcesync.workflows import create_functions
from sourcesync.workflows.services import Services


class SyncBody(BaseModel):
    source: str = Field(description="Source name or id.")
    mode: Literal["full", "incremental"] = "incremental"


def create_app(services: Services, client: inngest.Inngest) -> FastAPI:
    """The app, with the workflow functions served at ``/api/inngest``."""
    app = FastAPI(title="sourcesync", version="0.1.0")
    inngest.fast_api.serve(app, client, create_functions(client, services))
    app.include_router(create_webhook_router(services, client))

    @app.post("/api/sync", status_code=202)
    async def request_sync(body: SyncBody) -> dict[str, Any]:
        try:
            job, event = await services.in_thread(
                actions.queue_sync,
                services,
                body.source,
                full=body.mode == "full",
                trigger="api",
            )
        except db.SourceNotFoundError as exc:
            raise HTTPException(404, str(exc)) from exc
        await client.send(inngest.Event(name=event.name, data=event.to_data()))
        return {"jobId": job.id, "status": str(job.status), "mode": str(job.mode)}

    @app.get("/api/jobs")
    async def list_jobs(
        source: str | None = None, status: str | None = None, limit: int = Query(20, le=200)
    ) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            ws = actions.workspace_id(services)
            with services.transaction() as session:
                source_id = db.require_source(session, ws, source).id if source else None
                jobs = db.list_jobs(
                    session,
                    ws,
                    source_id=source_id,
                    status=db.JobStatus(status) if status else None,
                    limit=limit,
                )
                ids = [job.id for job in jobs]
            return [actions.job_view(services, job_id) for job_id in ids]

        try:
            return await services.in_thread(read)
        except (db.SourceNotFoundError, ValueError) as exc:
            raise HTTPException(400, str(exc)) from exc

    @app.get("/api/jobs/{job_id}")
    async def get_job(job_id: str) -> dict[str, Any]:
        try:
            return await services.in_thread(actions.job_view, services, job_id)
        except db.JobNotFoundError as exc:
            raise HTTPException(404, str(exc)) from exc

    @app.get("/api/search")
    async def search(
        q: str = Query(min_length=1),
        k: int = Query(5, ge=1, le=50),
        source: str | None = None,
        type: str | None = None,
        path: str | None = Query(None, description="Path glob: 'src/**/*.py', '*.md'."),
        mode: Literal["hybrid", "vector", "keyword"] = "hybrid",
    ) -> list[dict[str, Any]]:
        try:
            hits = await actions.search(
                services, q, k=k, source_ref=source, source_type=type, path_glob=path, mode=mode
            )
        except db.SourceNotFoundError as exc:
            raise HTTPException(404, str(exc)) from exc
        return [hit.to_json() for hit in hits]

    return app
