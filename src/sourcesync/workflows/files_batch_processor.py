"""files-batch-processor: fetch, classify and store one batch of files, then hand the
changed documents to docs-batch-coordinator."""

from __future__ import annotations

from typing import Any

import inngest

from sourcesync import db
from sourcesync.events import (
    DocsBatchTrigger,
    FilesBatchCompleted,
    FilesBatchProcess,
    FilesBatchProcessed,
)

from .cancellation import JOB_CANCEL, job_still_active
from .file_batches import BatchResult, process_file_batch
from .services import Services
from .source_errors import source_errors
from .stalls import SOURCE, waiting_on
from .timeouts import Timeout, limit
from .validation import parse_event

FUNCTION_ID = "files-batch-processor"


def create(client: inngest.Inngest, services: Services) -> inngest.Function[Any]:
    @client.create_function(
        fn_id=FUNCTION_ID,
        name="Process file batch",
        trigger=inngest.TriggerEvent(event=FilesBatchProcess.name),
        concurrency=[
            inngest.Concurrency(
                limit=services.settings.batch_concurrency, key="event.data.workspaceId"
            )
        ],
        timeouts=inngest.Timeouts(finish=limit(services.settings, Timeout.FILES_BATCH)),
        retries=3,
        cancel=JOB_CANCEL,
    )
    async def files_batch_processor(ctx: inngest.Context) -> dict[str, Any]:
        # No step: the run is this one piece of work. Processing, recording and handing off
        # are each idempotent, so a retried run counts and sends everything exactly once,
        # and a step would only add a second call to the app to return its result.
        request = parse_event(FilesBatchProcess, ctx.event.data)
        async with waiting_on(services, request.job_id, SOURCE):
            with source_errors(), job_still_active():
                result = await services.in_thread(process_file_batch, services, request)
        if result.deleted_ids:
            await services.vectors.delete_documents(
                request.namespace,
                request.workspace_id,
                list(result.deleted_ids),
                chunk_counts=result.deleted_ids,
            )
        with job_still_active():
            remaining = await services.in_thread(_record, services, request, result)
        await _hand_off(client, request, result.to_embed, remaining)
        return FilesBatchProcessed(
            processed=result.processed,
            failed=result.failed,
            skipped=result.skipped,
            deleted=result.deleted,
        ).to_data()

    return files_batch_processor


def _record(services: Services, request: FilesBatchProcess, result: BatchResult) -> int:
    """Record the batch's outcome; return how many files batches of the job are pending.

    The documents batch is registered in the same transaction that completes this files
    batch, so the job never looks finished while its documents are pending.
    """
    with services.transaction() as session:
        db.require_job_active(session, request.job_id, updating_job=True)
        db.register_batches(
            session,
            request.job_id,
            db.BatchKind.DOCUMENTS,
            [len(result.to_embed)],
            first_index=request.batch_index,
        )
        db.record_batch_outcome(
            session,
            request.job_id,
            db.BatchKind.FILES,
            request.batch_index,
            processed=result.processed,
            failed=result.failed,
            skipped=result.skipped,
            deleted=result.deleted,
        )
        progress = db.job_progress(session, request.job_id)
    return progress.files.batches_pending


async def _hand_off(
    client: inngest.Inngest, request: FilesBatchProcess, to_embed: list[str], remaining: int
) -> None:
    """Send the documents batch and this batch's completion.

    Ids derived from the batch make a repeated run send nothing new: the runtime drops an
    event whose id it has seen (the embedded engine and Inngest alike).
    """
    documents = DocsBatchTrigger(
        job_id=request.job_id,
        workspace_id=request.workspace_id,
        source_id=request.source_id,
        namespace=request.namespace,
        batch_index=request.batch_index,
        document_ids=to_embed,
    )
    completed = FilesBatchCompleted(
        job_id=request.job_id, batch_index=request.batch_index, remaining=remaining
    )
    key = f"{request.job_id}:files:{request.batch_index}"
    await client.send(
        [
            inngest.Event(id=f"{key}:docs", name=documents.name, data=documents.to_data()),
            inngest.Event(id=f"{key}:done", name=completed.name, data=completed.to_data()),
        ]
    )
