"""linear-sync: issues and projects become documents straight from Linear's API, then join
the document path at docs.batch.trigger."""

from __future__ import annotations

import datetime
from typing import Any

import inngest

from sourcesync import db
from sourcesync.events import DocsBatchTrigger, SourceSynced, SourceSyncTrigger

from .fan_in import wait_for_batches
from .services import Services
from .source_errors import source_errors
from .sources import open_linear_source
from .validation import parse_event

DOCUMENTS_PER_BATCH = 50
EVENTS_PER_SEND = 500


def collect_linear(services: Services, request: SourceSyncTrigger) -> dict[str, Any]:
    """Store every changed issue and project, delete the gone ones, plan document batches.

    The source's cursor moves forward after each stored batch (Linear reports in
    ``updatedAt`` order), so a crash mid-way resumes without re-reading what was stored.
    Documents left pending by an earlier failed sync are embedded again too.
    """
    with services.transaction() as session:
        source = db.require_source(session, request.workspace_id, request.source_id)
        cursor = dict(source.cursor or {})
        teams = source.config.get("teams") or None
    full = request.mode == "full" or "updatedAt" not in cursor
    since = None if full else datetime.datetime.fromisoformat(cursor["updatedAt"])
    stored = unchanged = 0
    deleted: list[str] = []
    with open_linear_source(source, services.settings) as linear:
        for batch in linear.iter_changes(since, teams):
            upserts = [
                db.DocumentUpsert(
                    id=document.id,
                    source_id=request.source_id,
                    title=document.title,
                    url=document.url,
                    content_hash=document.content_hash,
                    metadata=document.metadata,
                    size=len(document.content),
                    content=document.content,
                )
                for document in batch.documents
            ]
            with services.transaction() as session:
                db.upsert_documents(session, request.workspace_id, upserts)
                statuses = db.document_statuses(
                    session, request.workspace_id, [u.id for u in upserts]
                )
                unchanged += sum(s == db.DocumentStatus.PROCESSED for s in statuses.values())
                deleted += db.mark_documents_deleted(
                    session, request.workspace_id, batch.deleted_ids
                )
                db.update_source_cursor(
                    session, request.source_id, {"updatedAt": batch.cursor.isoformat()}
                )
            stored += len(upserts)
        live = linear.list_ids(teams) if full else None
    with services.transaction() as session:
        if live is not None:
            known = set(db.list_document_ids(session, request.workspace_id, request.source_id))
            deleted += db.mark_documents_deleted(session, request.workspace_id, known - live)
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


def create(client: inngest.Inngest, services: Services) -> inngest.Function[Any]:
    @client.create_function(
        fn_id="linear-sync",
        name="Sync Linear source",
        trigger=inngest.TriggerEvent(event=SourceSyncTrigger.name_for("linear")),
        timeouts=inngest.Timeouts(finish=datetime.timedelta(minutes=30)),
        retries=3,
    )
    async def linear_sync(ctx: inngest.Context) -> dict[str, Any]:
        request = parse_event(SourceSyncTrigger, ctx.event.data)

        async def collect() -> dict[str, Any]:
            with source_errors():
                return await services.in_thread(collect_linear, services, request)

        plan = await ctx.step.run("collect", collect)
        if plan["deleted"]:
            await ctx.step.run(
                "delete-vectors",
                services.vectors.delete_documents,
                request.namespace,
                request.workspace_id,
                plan["deleted"],
            )

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

    return linear_sync
