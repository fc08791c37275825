"""files-batch-timed-out: a files batch whose run its timeout ended counts as failed, with a
message naming the setting, so its sync goes on and ends completed_with_errors instead of
waiting for the whole sync's timeout (a day by default).

Inngest's `function.cancelled` does not say why a run ended. A user's cancel ends the job
first, so a cancelled run of a job still active ran past `files_batch_timeout_minutes`. Its
call may still be running in an app: whichever of the two records the batch first counts,
the other changes nothing (`record_batch_outcome` counts a batch once).
"""

from __future__ import annotations

from typing import Any

import inngest

from sourcesync import db
from sourcesync.events import DocsBatchCompleted, FilesBatchProcess

from .files_batch_processor import FUNCTION_ID as PROCESSOR_ID
from .services import Services
from .timeouts import Timeout, timed_out
from .validation import parse_event


def _record_timeout(services: Services, request: FilesBatchProcess) -> int | None:
    """Count the batch failed (and its documents batch empty); None when it was counted
    already or its job ended; else how many batches of the job are still pending."""
    what = f"files batch {request.batch_index}"
    error = timed_out(services.settings, Timeout.FILES_BATCH, what)
    with services.transaction() as session:
        job = db.get_job(session, request.job_id)
        if job is None or job.status.is_terminal:
            return None
        files = len(
            db.batch_items(session, request.job_id, db.BatchKind.FILES, request.batch_index)
        )
        counted = db.record_batch_outcome(
            session,
            request.job_id,
            db.BatchKind.FILES,
            request.batch_index,
            failed=files,
            error=error,
        )
        if not counted:
            return None
        db.register_batches(
            session, request.job_id, db.BatchKind.DOCUMENTS, [0], first_index=request.batch_index
        )
        db.record_batch_outcome(
            session, request.job_id, db.BatchKind.DOCUMENTS, request.batch_index
        )
        progress = db.job_progress(session, request.job_id)
    return progress.files.batches_pending + progress.documents.batches_pending


def create(client: inngest.Inngest, services: Services) -> inngest.Function[Any]:
    processor = f"{client.app_id}-{PROCESSOR_ID}"

    @client.create_function(
        fn_id="files-batch-timed-out",
        name="Files batch timed out",
        trigger=inngest.TriggerEvent(
            event="inngest/function.cancelled",
            expression=f"event.data.function_id == {processor!r}",
        ),
        retries=3,
    )
    async def files_batch_timed_out(ctx: inngest.Context) -> int | None:
        original = ctx.event.data.get("event") or {}
        data = original.get("data") if isinstance(original, dict) else None
        request = parse_event(FilesBatchProcess, data if isinstance(data, dict) else {})
        remaining = await ctx.step.run(
            "record-timeout", services.in_thread, _record_timeout, services, request
        )
        if remaining is not None:
            # Wakes the fan-in as the batch's coordinator would have (same event id).
            completed = DocsBatchCompleted(
                job_id=request.job_id,
                batch_index=request.batch_index,
                documents_processed=0,
                documents_failed=0,
                embeddings_created=0,
                remaining=remaining,
            )
            await ctx.step.send_event(
                "report-batch",
                inngest.Event(
                    id=f"{request.job_id}:documents:{request.batch_index}:done",
                    name=completed.name,
                    data=completed.to_data(),
                ),
            )
        return remaining

    return files_batch_timed_out
