"""{type}-sync for document sources (issue trackers, wikis, chats: items that are documents):
store what changed since the cursor, then join the document path at docs.batch.trigger.

One workflow serves every document source: the connector only says what changed
(``connectors/document_source.py``).
"""

from __future__ import annotations

import contextlib
from typing import Any

import inngest

from sourcesync import db
from sourcesync.connectors.registry import get_spec
from sourcesync.documents import scoped_document_id
from sourcesync.events import DocsBatchTrigger, SourceSynced, SourceSyncTrigger

from .cancellation import JOB_CANCEL, job_still_active
from .fan_in import wait_for_batches
from .services import Services
from .source_errors import source_errors
from .sources import open_document_source
from .stalls import SOURCE, waiting_on
from .timeouts import Timeout, limit
from .validation import parse_event

DOCUMENTS_PER_BATCH = 50
EVENTS_PER_SEND = 500


def collect_documents(services: Services, request: SourceSyncTrigger) -> dict[str, Any]:
    """Store every changed document, delete the gone ones, plan document batches.

    The source's cursor moves forward after each stored batch (sources report changes
    oldest first), so a crash mid-way resumes without re-reading what was stored.
    Documents left pending by an earlier failed sync are embedded again too.
    """
    with services.transaction() as session:
        source = db.require_source(session, request.workspace_id, request.source_id)
    spec = get_spec(source.type)
    cursor = None if request.mode == "full" else spec.parse_cursor(source.cursor)
    full = cursor is None
    stored = unchanged = 0
    deleted: dict[str, int] = {}
    """Documents deleted, with their chunk counts (`db.mark_documents_deleted`)."""

    def scoped(name: str) -> str:
        return scoped_document_id(request.source_id, name)

    with contextlib.closing(open_document_source(source, services.settings)) as connector:
        for batch in connector.changes(cursor):
            upserts = [
                db.DocumentUpsert(
                    id=scoped(document.id),
                    source_id=request.source_id,
                    title=document.title,
                    url=document.url,
                    path=document.path,
                    content_hash=document.content_hash,
                    metadata=document.metadata,
                    size=len(document.content),
                    content=document.content,
                )
                for document in batch.documents
            ]
            with services.transaction() as session:
                db.require_job_active(session, request.job_id)
                db.upsert_documents(session, request.workspace_id, upserts)
                statuses = db.document_statuses(
                    session, request.workspace_id, [u.id for u in upserts]
                )
                unchanged += sum(s == db.DocumentStatus.PROCESSED for s in statuses.values())
                deleted |= db.mark_documents_deleted(
                    session, request.workspace_id, [scoped(i) for i in batch.deleted_ids]
                )
                if batch.cursor is not None:
                    db.update_source_cursor(
                        session,
                        request.source_id,
                        batch.cursor.model_dump(mode="json", by_alias=True),
                    )
            stored += len(upserts)
        names = connector.live_ids() if full else None
        live = None if names is None else {scoped(name) for name in names}
    with services.transaction() as session:
        db.require_job_active(session, request.job_id)
        if full:
            db.mark_job_full(session, request.job_id)
        if live is not None:
            known = set(db.list_document_ids(session, request.workspace_id, request.source_id))
            deleted |= db.mark_documents_deleted(session, request.workspace_id, known - live)
        pending = db.list_document_ids_to_embed(session, request.workspace_id, request.source_id)
        batches = [
            pending[i : i + DOCUMENTS_PER_BATCH]
            for i in range(0, len(pending), DOCUMENTS_PER_BATCH)
        ]
        db.record_batch_outcome(
            session,
            request.job_id,
            db.BatchKind.FILES,
            0,
            processed=stored - unchanged,
            skipped=unchanged,
            deleted=len(deleted),
        )
        db.register_batches(
            session,
            request.job_id,
            db.BatchKind.DOCUMENTS,
            [len(b) for b in batches],
            items=batches,
        )
    return {"batches": len(batches), "documents": stored, "deleted": deleted, "full": full}


def create(client: inngest.Inngest, services: Services, source_type: str) -> inngest.Function[Any]:
    @client.create_function(
        fn_id=f"{source_type}-sync",
        name=f"Sync {source_type} source",
        trigger=inngest.TriggerEvent(event=SourceSyncTrigger.name_for(source_type)),
        timeouts=inngest.Timeouts(finish=limit(services.settings, Timeout.SYNC)),
        retries=3,
        cancel=JOB_CANCEL,
    )
    async def document_source_sync(ctx: inngest.Context) -> dict[str, Any]:
        request = parse_event(SourceSyncTrigger, ctx.event.data)

        async def collect() -> dict[str, Any]:
            async with waiting_on(services, request.job_id, SOURCE):
                with source_errors(), job_still_active():
                    return await services.in_thread(collect_documents, services, request)

        plan = await ctx.step.run("collect", collect)
        if plan["deleted"]:
            deleted: dict[str, int] = plan["deleted"]

            async def delete_vectors() -> int:
                return await services.vectors.delete_documents(
                    request.namespace, request.workspace_id, list(deleted), chunk_counts=deleted
                )

            await ctx.step.run("delete-vectors", delete_vectors)

        def batch_ids(index: int) -> list[str]:
            with services.transaction() as session:
                return db.batch_items(session, request.job_id, db.BatchKind.DOCUMENTS, index)

        batches = int(plan["batches"])
        for start in range(0, batches, EVENTS_PER_SEND):
            indexes = range(start, min(batches, start + EVENTS_PER_SEND))
            ids_by_batch = await ctx.step.run(
                f"read-batches-{start // EVENTS_PER_SEND}",
                services.in_thread,
                lambda indexes=indexes: [batch_ids(i) for i in indexes],
            )
            events = [
                inngest.Event(
                    name=DocsBatchTrigger.name,
                    data=DocsBatchTrigger(
                        job_id=request.job_id,
                        workspace_id=request.workspace_id,
                        source_id=request.source_id,
                        namespace=request.namespace,
                        batch_index=index,
                        document_ids=ids,
                    ).to_data(),
                )
                for index, ids in zip(indexes, ids_by_batch, strict=True)
            ]
            await ctx.step.send_event(f"fan-out-{start // EVENTS_PER_SEND}", events)
        if batches:
            await wait_for_batches(
                ctx, services, request.job_id, files_batches=1, documents_batches=batches
            )
        return SourceSynced(
            job_id=request.job_id,
            files_total=int(plan["documents"]),
            batches=batches,
            mode="full" if plan["full"] else "incremental",
        ).to_data()

    return document_source_sync
