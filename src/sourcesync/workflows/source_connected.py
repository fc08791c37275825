"""source-connected: a new source gets its first, full sync, and waits for it to end."""

from __future__ import annotations

import datetime
from typing import Any

import inngest

from sourcesync import db
from sourcesync.events import SourceConnected, SourceConnectedResult, SyncCompleted

from .services import Services
from .sync_requests import request_sync
from .validation import parse_event

FINAL = {"completed", "completed_with_errors", "failed", "cancelled"}


def create(client: inngest.Inngest, services: Services) -> inngest.Function[Any]:
    @client.create_function(
        fn_id="source-connected",
        name="Source connected",
        trigger=inngest.TriggerEvent(event=SourceConnected.name),
        retries=3,
    )
    async def source_connected(ctx: inngest.Context) -> dict[str, Any]:
        request = parse_event(SourceConnected, ctx.event.data)

        job_id = await request_sync(
            ctx,
            services,
            workspace_id=request.workspace_id,
            source_id=request.source_id,
            source_type=request.source_type,
            mode="full",
            trigger="source_connected",
            job_id=request.job_id,
        )

        def status() -> str:
            with services.reading() as session:
                return str(db.require_job(session, job_id).status)

        for round_index in range(60):
            current = await ctx.step.run(f"check-job-{round_index}", services.in_thread, status)
            if current in FINAL:
                return SourceConnectedResult(job_id=job_id, status=current).to_data()  # type: ignore[arg-type]
            await ctx.step.wait_for_event(
                f"wait-for-sync-{round_index}",
                event=SyncCompleted.name,
                if_exp=f"async.data.jobId == {job_id!r}",
                timeout=datetime.timedelta(minutes=1),
            )
        raise inngest.NonRetriableError(f"the first sync (job {job_id}) did not end in time")

    return source_connected
