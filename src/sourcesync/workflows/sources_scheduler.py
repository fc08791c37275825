"""sources-scheduler: every minute, an incremental sync of each scheduled source that is due.

One cron function serves every source (no function per source): due sources are rows
(``sources.next_sync_at``). A source whose sync is still queued or running is not synced
again; it is due again at its next time. ``apps-console/schedules.check`` runs a check at
once (tests, or a user who changed a schedule).
"""

from __future__ import annotations

from typing import Any

import inngest

from sourcesync import db
from sourcesync.db.column_types import utcnow
from sourcesync.events import SchedulesCheck, SyncRequested

from .schedules import next_run
from .services import Services

EVERY_MINUTE = "* * * * *"


def claim_due_syncs(services: Services, run_id: str) -> list[dict[str, Any]]:
    """Queue a job for each due source, move its next time on; return the events to send."""
    now = utcnow()
    events: list[dict[str, Any]] = []
    with services.transaction() as session:
        for source in db.due_sources(session, now):
            assert source.schedule is not None  # due_sources only returns scheduled ones
            db.set_source_schedule(
                session, source.id, source.schedule, next_run(source.schedule, now)
            )
            if db.active_jobs(session, source.id):
                continue
            mode = db.SyncMode.INCREMENTAL if source.cursor else db.SyncMode.FULL
            job = db.create_job(
                session,
                workspace_id=source.workspace_id,
                source_id=source.id,
                trigger=db.JobTrigger.SCHEDULE,
                mode=mode,
                job_id=f"job-{run_id}-{source.id}",
            )
            request = SyncRequested(
                workspace_id=source.workspace_id,
                source_id=source.id,
                source_type=source.type,
                mode=mode.value,
                trigger="schedule",
                job_id=job.id,
            )
            events.append(request.to_data())
    return events


def create(client: inngest.Inngest, services: Services) -> inngest.Function[Any]:
    @client.create_function(
        fn_id="sources-scheduler",
        name="Sync scheduled sources",
        trigger=[
            inngest.TriggerCron(cron=EVERY_MINUTE),
            inngest.TriggerEvent(event=SchedulesCheck.name),
        ],
        concurrency=[inngest.Concurrency(limit=1)],
        retries=3,
    )
    async def sources_scheduler(ctx: inngest.Context) -> dict[str, Any]:
        due = await ctx.step.run(
            "queue-due-syncs", services.in_thread, claim_due_syncs, services, ctx.run_id
        )
        if due:
            await ctx.step.send_event(
                "request-syncs", [inngest.Event(name=SyncRequested.name, data=data) for data in due]
            )
        return {"queued": [data["jobId"] for data in due]}

    return sources_scheduler
