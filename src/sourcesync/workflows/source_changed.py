"""source-changed: webhook deliveries, debounced per source into one incremental sync."""

from __future__ import annotations

import datetime
from typing import Any

import inngest

from sourcesync import db
from sourcesync.events import SourceChanged, SyncRequested

from .services import Services
from .validation import parse_event


def create(client: inngest.Inngest, services: Services) -> inngest.Function[Any]:
    @client.create_function(
        fn_id="source-changed",
        name="Source changed",
        trigger=inngest.TriggerEvent(event=SourceChanged.name),
        debounce=inngest.Debounce(
            key="event.data.sourceId",
            period=datetime.timedelta(seconds=services.settings.webhook_debounce_seconds),
            timeout=datetime.timedelta(minutes=5),
        ),
        retries=3,
    )
    async def source_changed(ctx: inngest.Context) -> dict[str, Any]:
        request = parse_event(SourceChanged, ctx.event.data)

        def queue_job() -> str:
            with services.transaction() as session:
                job = db.create_job(
                    session,
                    workspace_id=request.workspace_id,
                    source_id=request.source_id,
                    trigger=db.JobTrigger.WEBHOOK,
                    mode=db.SyncMode.INCREMENTAL,
                    input=request.to_data(),
                    job_id=f"job-{ctx.run_id}",
                )
            return job.id

        job_id = await ctx.step.run("queue-job", services.in_thread, queue_job)
        sync = SyncRequested(
            workspace_id=request.workspace_id,
            source_id=request.source_id,
            source_type=request.source_type,
            mode="incremental",
            trigger="webhook",
            job_id=job_id,
            before=request.before,
            after=request.after,
        )
        await ctx.step.send_event(
            "request-sync", inngest.Event(name=sync.name, data=sync.to_data())
        )
        return {"jobId": job_id}

    return source_changed
