"""Waiting for a job's batches without trusting events alone (DESIGN section 3).

``waitForEvent`` only sees events that arrive after it starts waiting, so the database is
the truth: the job is re-read after every wake-up, and each wait is bounded. A wake-up
comes from the batch that leaves nothing pending (``remaining == 0``), so a finished job
is noticed at once, and the number of steps stays small however many batches there are.
"""

from __future__ import annotations

import datetime

import inngest

from sourcesync import db
from sourcesync.events import DocsBatchCompleted

from .services import Services

MAX_ROUNDS = 120


async def wait_for_batches(
    ctx: inngest.Context,
    services: Services,
    job_id: str,
    *,
    files_batches: int,
    documents_batches: int,
) -> dict[str, int]:
    """Return the job's progress once the expected files and documents batches all have an
    outcome (documents batches are registered as files batches finish)."""

    def read() -> dict[str, int]:
        with services.reading() as session:
            progress = db.job_progress(session, job_id)
        return {
            "filesPending": progress.files.batches_pending,
            "filesDone": progress.files.batches_completed + progress.files.batches_failed,
            "documentsPending": progress.documents.batches_pending,
            "documentsRegistered": progress.documents.batches_total,
        }

    for round_index in range(MAX_ROUNDS):
        progress = await ctx.step.run(f"check-progress-{round_index}", services.in_thread, read)
        finished = (
            progress["filesPending"] == 0
            and progress["documentsPending"] == 0
            and progress["filesDone"] >= files_batches
            and progress["documentsRegistered"] >= documents_batches
        )
        if finished:
            return progress
        await ctx.step.wait_for_event(
            f"wait-for-batches-{round_index}",
            event=DocsBatchCompleted.name,
            if_exp=f"async.data.jobId == {job_id!r} && async.data.remaining == 0",
            timeout=datetime.timedelta(seconds=15 if round_index < 4 else 60),
        )
    raise inngest.NonRetriableError(
        f"job {job_id} still had batches pending after {MAX_ROUNDS} checks"
    )
