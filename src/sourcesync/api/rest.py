"""``/api/sync``, ``/api/jobs`` and ``/api/search``: every route answers a bearer token's
workspace only (another workspace's job is 404)."""

from typing import Annotated, Any, Literal

import inngest
from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from sourcesync import actions, db, search_hits
from sourcesync.workflows.services import Services

from .auth import Caller, caller_dependency


class SyncBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str = Field(min_length=1, max_length=255, description="Source name or id.")
    mode: Literal["full", "incremental"] = "incremental"


def create_rest_router(services: Services, client: inngest.Inngest) -> APIRouter:
    router = APIRouter(prefix="/api")
    Authenticated = Annotated[Caller, Depends(caller_dependency(services))]
    Acting = Annotated[Caller, Depends(caller_dependency(services, acting=True))]

    @router.post("/sync", status_code=202)
    async def request_sync(body: SyncBody, caller: Acting) -> dict[str, Any]:
        try:
            job, event = await services.in_thread(
                lambda: actions.queue_sync(
                    services,
                    body.source,
                    full=body.mode == "full",
                    trigger="api",
                    workspace=caller.workspace_id,
                )
            )
        except db.SourceNotFoundError as exc:
            raise HTTPException(404, str(exc)) from exc
        await client.send(inngest.Event(name=event.name, data=event.to_data()))
        return {"jobId": job.id, "status": str(job.status), "mode": str(job.mode)}

    @router.get("/jobs")
    async def list_jobs(
        caller: Authenticated,
        source: str | None = None,
        status: db.JobStatus | None = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 20,
    ) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            ws = caller.workspace_id
            with services.reading() as session:
                source_id = db.require_source(session, ws, source).id if source else None
                jobs = db.list_jobs(session, ws, source_id=source_id, status=status, limit=limit)
                ids = [job.id for job in jobs]
            return [actions.job_view(services, job_id, ws) for job_id in ids]

        try:
            return await services.in_thread(read)
        except db.SourceNotFoundError as exc:
            raise HTTPException(404, str(exc)) from exc

    @router.get("/jobs/{job_id}")
    async def get_job(job_id: str, caller: Authenticated) -> dict[str, Any]:
        try:
            return await services.in_thread(actions.job_view, services, job_id, caller.workspace_id)
        except db.JobNotFoundError as exc:
            raise HTTPException(404, str(exc)) from exc

    @router.post("/jobs/{job_id}/cancel")
    async def cancel_job(job_id: str, caller: Acting) -> dict[str, Any]:
        try:
            job, event = await services.in_thread(
                actions.cancel_job, services, job_id, caller.workspace_id
            )
        except db.JobNotFoundError as exc:
            raise HTTPException(404, str(exc)) from exc
        except actions.JobEndedError as exc:
            raise HTTPException(409, str(exc)) from exc
        await client.send(inngest.Event(name=event.name, data=event.to_data()))
        return {"jobId": job.id, "status": str(job.status)}

    @router.get("/search")
    async def search(
        caller: Authenticated,
        q: Annotated[str, Query(min_length=1, max_length=2000)],
        k: Annotated[int, Query(ge=1, le=50)] = 5,
        source: str | None = None,
        type: Annotated[str | None, Query(max_length=32)] = None,
        path: Annotated[
            str | None, Query(max_length=500, description="Path glob: 'src/**/*.py', '*.md'.")
        ] = None,
        mode: Literal["hybrid", "vector", "keyword"] = "hybrid",
    ) -> list[dict[str, Any]]:
        try:
            hits = await search_hits.search(
                services,
                q,
                k=k,
                source_ref=source,
                workspace=caller.workspace_id,
                source_type=type,
                path_glob=path,
                mode=mode,
            )
        except db.SourceNotFoundError as exc:
            raise HTTPException(404, str(exc)) from exc
        return [hit.to_json() for hit in hits]

    return router
