"""docs-batch-coordinator: embed a batch of stored documents and record its outcome.

Every source joins here: file sources after fetching, document sources
after writing documents straight from API responses. The coordinator invokes
documents-process for each 50 documents, so it waits on real completion, and records the
batch in job_batches, the truth its job's fan-in reads.
"""

from __future__ import annotations

from typing import Any

import inngest

from sourcesync import db
from sourcesync.events import (
    DocsBatchCompleted,
    DocsBatchTrigger,
    DocumentsProcess,
    DocumentsProcessed,
)

from .cancellation import JOB_CANCEL
from .services import Services
from .stalls import stall_message
from .timeouts import INVOKE_TIMEOUT_ERROR, Timeout, limit, timed_out
from .validation import parse_event

PROCESS_BATCH = 50


def create(
    client: inngest.Inngest, services: Services, documents_process: inngest.Function[Any]
) -> inngest.Function[Any]:
    @client.create_function(
        fn_id="docs-batch-coordinator",
        name="Coordinate document batch",
        trigger=inngest.TriggerEvent(event=DocsBatchTrigger.name),
        concurrency=[
            inngest.Concurrency(
                limit=services.settings.batch_concurrency, key="event.data.workspaceId"
            )
        ],
        timeouts=inngest.Timeouts(finish=limit(services.settings, Timeout.DOCUMENTS)),
        retries=3,
        cancel=JOB_CANCEL,
    )
    async def docs_batch_coordinator(ctx: inngest.Context) -> dict[str, Any]:
        request = parse_event(DocsBatchTrigger, ctx.event.data)
        totals = {"processed": 0, "failed": 0, "embeddings": 0}
        ids = list(request.document_ids)
        for start in range(0, len(ids), PROCESS_BATCH):
            part = DocumentsProcess(
                job_id=request.job_id,
                workspace_id=request.workspace_id,
                namespace=request.namespace,
                document_ids=ids[start : start + PROCESS_BATCH],
            )
            try:
                counts = await ctx.step.invoke(
                    f"process-documents-{start // PROCESS_BATCH}",
                    function=documents_process,
                    data=part.to_data(),
                    timeout=limit(services.settings, Timeout.DOCUMENTS),
                )
            except inngest.StepError as exc:
                # Timed out or failed for good: its documents fail with the reason (a stall
                # when one was seen), so the job ends with them listed instead of waiting.
                reason = exc.message
                if exc.name == INVOKE_TIMEOUT_ERROR:
                    what = f"embedding {len(part.document_ids)} documents"
                    reason = timed_out(services.settings, Timeout.DOCUMENTS, what)
                await services.in_thread(_fail_documents, services, part, reason)
                totals["failed"] += len(part.document_ids)
                continue
            done = DocumentsProcessed.model_validate(counts)
            totals["processed"] += done.processed
            totals["failed"] += done.failed
            totals["embeddings"] += done.embeddings

        # Not a step: this runs only in the call that finds every invoke done. Recording is
        # idempotent and the event's id is the batch's, so a retried call counts once and
        # sends nothing new; a step would only add one more call to the app.
        remaining = await services.in_thread(_record, services, request, totals)
        completed = DocsBatchCompleted(
            job_id=request.job_id,
            batch_index=request.batch_index,
            documents_processed=totals["processed"],
            documents_failed=totals["failed"],
            embeddings_created=totals["embeddings"],
            remaining=remaining,
        )
        event_id = f"{request.job_id}:documents:{request.batch_index}:done"
        await client.send(inngest.Event(id=event_id, name=completed.name, data=completed.to_data()))
        return DocumentsProcessed(function="docs-batch-coordinator", **totals).to_data()

    return docs_batch_coordinator


def _fail_documents(services: Services, part: DocumentsProcess, error: str) -> None:
    """Record each document of a batch that could not be processed, saying why."""
    with services.transaction() as session:
        job = db.require_job(session, part.job_id)
        reason = stall_message(job, services.settings.stall_after_seconds) or error
        for document_id in part.document_ids:
            db.record_document_failure(
                session,
                job_id=part.job_id,
                workspace_id=part.workspace_id,
                document_id=document_id,
                stage=db.FailureStage.EMBED,
                message=f"not processed: {reason}"[:2000],
            )


def _record(services: Services, request: DocsBatchTrigger, totals: dict[str, int]) -> int:
    """Record the batch's outcome; return how many batches of the job are still pending."""
    with services.transaction() as session:
        db.record_batch_outcome(
            session,
            request.job_id,
            db.BatchKind.DOCUMENTS,
            request.batch_index,
            processed=totals["processed"],
            failed=totals["failed"],
            embeddings=totals["embeddings"],
        )
        progress = db.job_progress(session, request.job_id)
    return progress.files.batches_pending + progress.documents.batches_pending
