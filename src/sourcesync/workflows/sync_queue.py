"""One sync per source: a job requested while its source syncs waits, queued, and the sync
that ends starts the next one (the oldest queued job of the source)."""

from __future__ import annotations

from typing import Any

import inngest

from sourcesync import db
from sourcesync.events import SyncRequested

from .services import Services


def next_sync_request(services: Services, source_id: str) -> dict[str, Any] | None:
    """The ``sync.requested`` data of the source's next queued job, if any."""
    with services.reading() as session:
        job = db.next_queued_job(session, source_id)
        if job is None:
            return None
        source = db.get_source(session, job.workspace_id, source_id, removed=True)
        if source is None or source.removed_at is not None:
            return None
        request = SyncRequested.model_validate(
            {
                "workspaceId": job.workspace_id,
                "sourceId": source_id,
                "sourceType": source.type,
                "mode": str(job.mode),
                "trigger": str(job.trigger),
                "jobId": job.id,
            }
        )
    return request.to_data()


async def start_next_sync(
    ctx: inngest.Context, services: Services, source_id: str, ended_job_id: str
) -> None:
    """After a job of the source ended: request the source's next queued job."""
    data = await ctx.step.run(
        "find-next-sync", services.in_thread, next_sync_request, services, source_id
    )
    if data is not None:
        await ctx.step.send_event(
            "start-next-sync",
            inngest.Event(
                id=f"{data['jobId']}:after:{ended_job_id}", name=SyncRequested.name, data=data
            ),
        )
