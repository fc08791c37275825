"""Starting a sync from inside a workflow: a queued job first, then its sync.requested."""

from __future__ import annotations

import inngest

from sourcesync import db
from sourcesync.events import SourceType, SyncMode, SyncRequested, SyncTrigger

from .services import Services


async def request_sync(
    ctx: inngest.Context,
    services: Services,
    *,
    workspace_id: str,
    source_id: str,
    source_type: SourceType,
    mode: SyncMode,
    trigger: SyncTrigger,
    before: str | None = None,
    after: str | None = None,
    job_id: str | None = None,
) -> str:
    """Queue a job (its id derived from this run, so a retry finds the same job) and send
    the event that starts it; return the job id. ``job_id`` names a job already queued."""

    def queue_job() -> str:
        with services.transaction() as session:
            job = db.create_job(
                session,
                workspace_id=workspace_id,
                source_id=source_id,
                trigger=db.JobTrigger(trigger),
                mode=db.SyncMode(mode),
                job_id=f"job-{ctx.run_id}",
            )
        return job.id

    if job_id is None:
        job_id = await ctx.step.run("queue-job", services.in_thread, queue_job)
    sync = SyncRequested(
        workspace_id=workspace_id,
        source_id=source_id,
        source_type=source_type,
        mode=mode,
        trigger=trigger,
        job_id=job_id,
        before=before,
        after=after,
    )
    await ctx.step.send_event("request-sync", inngest.Event(name=sync.name, data=sync.to_data()))
    return job_id
