"""``/api/sources``: list, show, add (any registered type, validated by its ``Config``) and
remove sources. Adding one sends ``source.connected``, which runs its first sync."""

from typing import Annotated, Any

import inngest
from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sourcesync import actions, db
from sourcesync.connectors.errors import ConnectorError
from sourcesync.workflows.schedules import InvalidScheduleError
from sourcesync.workflows.services import Services

from .auth import Caller, caller_dependency


class NewSource(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str = Field(description="A registered source type (GET /api/source-types).")
    config: dict[str, Any] = Field(default_factory=dict, description="The type's Config.")
    name: str | None = None
    every: str | None = Field(default=None, description="Schedule: 1h, 30m or a cron expression.")


def create_sources_router(services: Services, client: inngest.Inngest) -> APIRouter:
    router = APIRouter(prefix="/api")
    Authenticated = Annotated[Caller, Depends(caller_dependency(services))]
    Acting = Annotated[Caller, Depends(caller_dependency(services, acting=True))]

    @router.get("/source-types")
    async def source_types(caller: Authenticated) -> list[dict[str, Any]]:
        from sourcesync.connectors.registry import all_specs

        return [
            {
                "type": spec.type,
                "description": spec.description,
                "kind": str(spec.kind),
                "webhooks": spec.webhooks is not None,
                "config": spec.config.model_json_schema(),
            }
            for spec in sorted(all_specs().values(), key=lambda spec: spec.type)
        ]

    def find(reference: str, workspace: str) -> db.Source:
        with services.reading() as session:
            try:
                return db.require_source(session, workspace, reference)
            except db.SourceNotFoundError as exc:
                raise HTTPException(404, str(exc)) from exc

    @router.get("/sources")
    async def list_sources(caller: Authenticated) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            with services.reading() as session:
                rows = db.list_sources(session, caller.workspace_id)
            return [actions.source_view(services, row) for row in rows]

        return await services.in_thread(read)

    @router.get("/sources/{reference}")
    async def show_source(reference: str, caller: Authenticated) -> dict[str, Any]:
        source = await services.in_thread(find, reference, caller.workspace_id)
        return await services.in_thread(actions.source_view, services, source)

    @router.post("/sources", status_code=201)
    async def add_source(body: NewSource, caller: Acting) -> dict[str, Any]:
        def add() -> db.Source:
            return actions.add_source(
                services,
                body.type,
                body.config,
                name=body.name,
                schedule=body.every,
                workspace=caller.workspace_id,
            )

        try:
            source = await services.in_thread(add)
        except ValidationError as exc:
            raise HTTPException(422, exc.errors(include_url=False, include_input=False)) from exc
        except db.SourceNameTakenError as exc:
            raise HTTPException(409, str(exc)) from exc
        except (ConnectorError, InvalidScheduleError) as exc:
            raise HTTPException(400, str(exc)) from exc
        job, event = await services.in_thread(actions.connect_source, services, source)
        await client.send(inngest.Event(name=event.name, data=event.to_data()))
        view = await services.in_thread(actions.source_view, services, source)
        return view | {"firstSync": {"jobId": job.id}}

    @router.delete("/sources/{reference}")
    async def remove_source(reference: str, caller: Acting, force: bool = False) -> dict[str, Any]:
        try:
            removal = await actions.remove_source(
                services, reference, force=force, workspace=caller.workspace_id
            )
        except db.SourceNotFoundError as exc:
            raise HTTPException(404, str(exc)) from exc
        except actions.SourceBusyError as exc:
            raise HTTPException(409, str(exc)) from exc
        if removal.cancelled:
            await client.send(
                [inngest.Event(name=e.name, data=e.to_data()) for e in removal.cancelled]
            )
        return {"removed": removal.source.id, "name": removal.source.name}

    return router
