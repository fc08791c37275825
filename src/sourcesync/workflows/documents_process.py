"""documents-process: chunk, embed and upsert up to 50 documents."""

from __future__ import annotations

from typing import Any

import inngest

from sourcesync.events import DocumentsProcess, DocumentsProcessed

from .cancellation import JOB_CANCEL, job_still_active
from .document_batches import embed_documents
from .services import Services
from .timeouts import Timeout, limit
from .validation import parse_event


def create(client: inngest.Inngest, services: Services) -> inngest.Function[Any]:
    @client.create_function(
        fn_id="documents-process",
        name="Process documents",
        trigger=inngest.TriggerEvent(event=DocumentsProcess.name),
        timeouts=inngest.Timeouts(finish=limit(services.settings, Timeout.DOCUMENTS)),
        retries=3,
        cancel=JOB_CANCEL,
    )
    async def documents_process(ctx: inngest.Context) -> dict[str, Any]:
        request = parse_event(DocumentsProcess, ctx.event.data)

        # No step, as in files-batch-processor: the run is this one idempotent piece of
        # work (vectors upserted by chunk id, rows marked processed), so a retried run is
        # safe, and a step would only add a second call to the app.
        # A cancelled job's documents are not embedded.
        with job_still_active():
            result = await embed_documents(
                services,
                job_id=request.job_id,
                workspace_id=request.workspace_id,
                namespace=request.namespace,
                document_ids=list(request.document_ids),
            )
        return DocumentsProcessed(
            function="documents-process",
            processed=result.processed,
            failed=result.failed,
            embeddings=result.embeddings,
        ).to_data()

    return documents_process
