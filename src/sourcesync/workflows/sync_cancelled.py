"""sync-cancelled: a cancelled or timed-out orchestrator run ends its job cancelled."""

from __future__ import annotations

from typing import Any

import inngest

from sourcesync import db

from .services import Services
from .sync_orchestrator import ORCHESTRATOR_ID
from .sync_queue import start_next_sync


def create(client: inngest.Inngest, services: Services) -> inngest.Function[Any]:
    orchestrator = f"{client.app_id}-{ORCHESTRATOR_ID}"

    @client.create_function(
        fn_id="sync-cancelled",
        name="Sync cancelled",
        trigger=inngest.TriggerEvent(
            event="inngest/function.cancelled",
            expression=f"event.data.function_id == {orchestrator!r}",
        ),
        retries=3,
    )
    async def sync_cancelled(ctx: inngest.Context) -> str | None:
        original = ctx.event.data.get("event") or {}
        data = original.get("data") if isinstance(original, dict) else None
        job_id = str((data or {}).get("jobId") or ctx.event.data.get("run_id", ""))

        def cancel() -> dict[str, str] | None:
            with services.transaction() as session:
                if db.get_job(session, job_id) is None:
                    return None
                job = db.mark_job_finished(
                    session, job_id, db.JobStatus.CANCELLED, error="the sync was cancelled"
                )
                return {"status": str(job.status), "sourceId": job.source_id}

        ended = await ctx.step.run("cancel-job", services.in_thread, cancel)
        if ended is None:
            return None
        await start_next_sync(ctx, services, ended["sourceId"], job_id)
        return ended["status"]

    return sync_cancelled
