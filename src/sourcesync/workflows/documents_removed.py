"""documents-removed: documents a webhook reported deleted leave the database and the store.

Deletions cannot wait for the next incremental sync: a hard-deleted item is simply absent
from the API, so nothing would ever say it is gone.
"""

from __future__ import annotations

from typing import Any

import inngest

from sourcesync import db
from sourcesync.events import DocumentsRemoved

from .services import Services
from .store_ensure import namespace_for
from .validation import parse_event


def create(client: inngest.Inngest, services: Services) -> inngest.Function[Any]:
    @client.create_function(
        fn_id="documents-removed",
        name="Remove documents",
        trigger=inngest.TriggerEvent(event=DocumentsRemoved.name),
        retries=3,
    )
    async def documents_removed(ctx: inngest.Context) -> dict[str, int]:
        request = parse_event(DocumentsRemoved, ctx.event.data)

        def mark() -> dict[str, int]:
            with services.transaction() as session:
                return db.mark_documents_deleted(
                    session, request.workspace_id, list(request.document_ids)
                )

        deleted = await ctx.step.run("mark-deleted", services.in_thread, mark)
        namespace = namespace_for(request.workspace_id, services.embedder.model_name)

        async def delete_vectors() -> int:
            try:
                # Documents deleted before (a repeated delivery) are found by listing.
                return await services.vectors.delete_documents(
                    namespace,
                    request.workspace_id,
                    list(request.document_ids),
                    chunk_counts=deleted,
                )
            except LookupError:
                return 0

        chunks = await ctx.step.run("delete-vectors", delete_vectors)
        return {"documentsDeleted": len(deleted), "chunksDeleted": chunks}

    return documents_removed
