"""{type}-sync for file sources (repositories): plan a sync, fan its batches out, wait
for them, move the cursor."""

from __future__ import annotations

from typing import Any

import inngest

from sourcesync import db
from sourcesync.connectors.cursors import CommitCursor
from sourcesync.events import (
    FilesBatchProcess,
    SourceSyncCompleted,
    SourceSynced,
    SourceSyncTrigger,
)

from .cancellation import JOB_CANCEL, job_still_active
from .fan_in import wait_for_batches
from .file_batches import plan_file_sync
from .services import Services
from .source_errors import source_errors
from .stalls import SOURCE, waiting_on
from .timeouts import Timeout, limit
from .validation import parse_event

EVENTS_PER_SEND = 500


def create(client: inngest.Inngest, services: Services, source_type: str) -> inngest.Function[Any]:
    trigger_name = SourceSyncTrigger.name_for(source_type)

    @client.create_function(
        fn_id=f"{source_type}-sync",
        name=f"Sync {source_type} source",
        trigger=inngest.TriggerEvent(event=trigger_name),
        timeouts=inngest.Timeouts(finish=limit(services.settings, Timeout.SYNC)),
        retries=3,
        cancel=JOB_CANCEL,
    )
    async def file_source_sync(ctx: inngest.Context) -> dict[str, Any]:
        request = parse_event(SourceSyncTrigger, ctx.event.data)

        async def make_plan() -> dict[str, Any]:
            async with waiting_on(services, request.job_id, SOURCE):
                with source_errors():
                    return await services.in_thread(
                        lambda: plan_file_sync(
                            services,
                            job_id=request.job_id,
                            workspace_id=request.workspace_id,
                            source_id=request.source_id,
                            full=request.mode == "full",
                        )
                    )

        plan = await ctx.step.run("plan", make_plan)
        batches = int(plan["batches"])
        for start in range(0, batches, EVENTS_PER_SEND):
            events = [
                inngest.Event(
                    name=FilesBatchProcess.name,
                    data=FilesBatchProcess(
                        job_id=request.job_id,
                        workspace_id=request.workspace_id,
                        source_id=request.source_id,
                        batch_index=index,
                        namespace=request.namespace,
                        head=plan["head"],
                    ).to_data(),
                )
                for index in range(start, min(batches, start + EVENTS_PER_SEND))
            ]
            await ctx.step.send_event(f"fan-out-{start // EVENTS_PER_SEND}", events)
        if batches:
            await wait_for_batches(
                ctx, services, request.job_id, files_batches=batches, documents_batches=batches
            )

        def advance_cursor() -> None:
            with job_still_active(), services.transaction() as session:
                db.require_job_active(session, request.job_id)
                cursor = CommitCursor(commit=plan["head"])
                db.update_source_cursor(session, request.source_id, cursor.model_dump())

        await ctx.step.run("advance-cursor", services.in_thread, advance_cursor)
        completed = SourceSyncCompleted(
            job_id=request.job_id,
            files_total=int(plan["files"]),
            batches=batches,
            mode="full" if plan["full"] else "incremental",
        )
        await ctx.step.send_event(
            "report-completion",
            inngest.Event(name=SourceSyncCompleted.name_for(source_type), data=completed.to_data()),
        )
        return SourceSynced(
            job_id=request.job_id,
            files_total=completed.files_total,
            batches=batches,
            mode=completed.mode,
            notes=plan["notes"],
        ).to_data()

    return file_source_sync
