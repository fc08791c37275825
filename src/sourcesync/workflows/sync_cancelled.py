"""sync-cancelled: a cancelled orchestrator run ends its job cancelled; one that ran past
its timeout ends it failed, naming the setting.

Inngest's `function.cancelled` does not say why a run ended: a user's cancel ends the job in
the database first (so this changes nothing), and a run of a job still active that has run
for its whole timeout was ended by the timeout.
"""

from __future__ import annotations

import datetime
from typing import Any

import inngest

from sourcesync import db

from .services import Services
from .sync_orchestrator import ORCHESTRATOR_ID
from .sync_queue import start_next_sync
from .timeouts import Timeout, limit, timed_out


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
                job = db.require_job(session, job_id)
                if _ran_past_timeout(job, services):
                    status, error = (
                        db.JobStatus.FAILED,
                        timed_out(services.settings, Timeout.SYNC, "the sync"),
                    )
                else:
                    status, error = db.JobStatus.CANCELLED, "the sync was cancelled"
                job = db.mark_job_finished(session, job_id, status, error=error)
                return {"status": str(job.status), "sourceId": job.source_id}

        ended = await ctx.step.run("cancel-job", services.in_thread, cancel)
        if ended is None:
            return None
        await start_next_sync(ctx, services, ended["sourceId"], job_id)
        return ended["status"]

    return sync_cancelled


_CLOCK_MARGIN = datetime.timedelta(minutes=1)
"""The job starts in the run's first step, a little after the run's own clock."""


def _ran_past_timeout(job: db.Job, services: Services) -> bool:
    if job.status.is_terminal or job.started_at is None:
        return False
    started = job.started_at.replace(tzinfo=job.started_at.tzinfo or datetime.UTC)
    ran = datetime.datetime.now(datetime.UTC) - started
    return ran >= limit(services.settings, Timeout.SYNC) - _CLOCK_MARGIN
