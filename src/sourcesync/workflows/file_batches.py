"""The file pipeline's work, outside of any workflow: plan a sync, process one batch.

Plans live in the database (job_batches.items), so no file list ever travels through an
event or a step output, whatever the size of the repository.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from sourcesync import db
from sourcesync.connectors.cursors import CommitCursor
from sourcesync.connectors.file_source import FileRef
from sourcesync.connectors.registry import get_spec
from sourcesync.documents import ContentKind, detect_content, scoped_document_id
from sourcesync.events import FilesBatchProcess

from .services import Services
from .sources import open_file_source


@dataclass
class BatchResult:
    """What one file batch did; ``to_embed`` are documents whose content changed."""

    processed: int = 0
    failed: int = 0
    skipped: int = 0
    deleted: int = 0
    to_embed: list[str] = field(default_factory=list)
    deleted_ids: dict[str, int] = field(default_factory=dict)
    """Documents this batch deleted, with their chunk counts (`db.mark_documents_deleted`)."""


def plan_file_sync(
    services: Services, *, job_id: str, workspace_id: str, source_id: str, full: bool
) -> dict[str, Any]:
    """List what to sync, split it into batches stored with the job; return a summary."""
    with services.reading() as session:
        source = db.require_source(session, workspace_id, source_id)
        cursor = get_spec(source.type).parse_cursor(source.cursor)
        connector = open_file_source(source, services.settings)
    last_commit = cursor.commit if isinstance(cursor, CommitCursor) else None
    with contextlib.closing(connector):
        plan = connector.plan(last_commit, full or last_commit is None)
    items: list[dict[str, Any]] = [ref.to_json() for ref in plan.files]
    items += [{"path": path, "delete": True} for path in plan.deleted_paths]
    if plan.full:
        with services.reading() as session:
            known = set(db.list_document_ids(session, workspace_id, source_id))
        listed = {
            scoped_document_id(source_id, connector.document_id(ref.path)) for ref in plan.files
        }
        items += [{"document_id": doc_id, "delete": True} for doc_id in sorted(known - listed)]
    size = services.settings.batch_size
    batches = [items[start : start + size] for start in range(0, len(items), size)]
    with services.transaction() as session:
        if plan.full:
            db.mark_job_full(session, job_id)
        db.register_batches(
            session, job_id, db.BatchKind.FILES, [len(b) for b in batches], items=batches
        )
    return {
        "head": plan.head,
        "batches": len(batches),
        "files": len(plan.files),
        "deletions": len(items) - len(plan.files),
        "full": plan.full,
        "notes": list(plan.notes),
    }


def process_file_batch(services: Services, event: FilesBatchProcess) -> BatchResult:
    """Fetch, classify and store one batch of files; collect what needs embedding."""
    result = BatchResult()
    with services.reading() as session:
        items = db.batch_items(session, event.job_id, db.BatchKind.FILES, event.batch_index)
        source = db.require_source(session, event.workspace_id, event.source_id)
        connector = open_file_source(source, services.settings)
    refs = [FileRef.from_json(item) for item in items if not item.get("delete")]

    def document_id(path: str) -> str:
        return scoped_document_id(event.source_id, connector.document_id(path))

    deletions = [
        item.get("document_id") or document_id(item["path"]) for item in items if item.get("delete")
    ]
    limit = services.settings.max_file_bytes
    small = [ref for ref in refs if ref.size <= limit]
    result.skipped += len(refs) - len(small)
    with contextlib.closing(connector):
        contents = connector.fetch(small, event.head) if small else {}
    upserts: list[db.DocumentUpsert] = []
    failures: list[tuple[str, str]] = []
    for ref in small:
        data = contents.get(ref.path)
        doc_id = document_id(ref.path)
        if data is None:
            deletions.append(doc_id)
            continue
        detected = detect_content(data, max_bytes=limit)
        if detected.kind is not ContentKind.TEXT or detected.text is None:
            result.skipped += 1
            continue
        try:
            document = connector.document(head=event.head, ref=ref, text=detected.text)
        except ValueError as exc:
            failures.append((doc_id, f"could not read {ref.path}: {exc}"))
            continue
        upserts.append(
            db.DocumentUpsert(
                id=doc_id,
                source_id=event.source_id,
                title=document.title,
                url=document.url,
                path=document.path,
                content_hash=document.content_hash,
                metadata=document.metadata,
                size=ref.size,
                content=document.content,
            )
        )
    with services.transaction() as session:
        db.require_job_active(session, event.job_id)
        db.upsert_documents(session, event.workspace_id, upserts)
        statuses = db.document_statuses(session, event.workspace_id, [u.id for u in upserts])
        for doc_id, status in statuses.items():
            if status == db.DocumentStatus.PROCESSED:
                result.skipped += 1
            else:
                result.processed += 1
                result.to_embed.append(doc_id)
        for doc_id, message in failures:
            db.record_document_failure(
                session,
                job_id=event.job_id,
                workspace_id=event.workspace_id,
                document_id=doc_id,
                stage=db.FailureStage.FETCH,
                message=message,
            )
        result.failed += len(failures)
        result.deleted_ids = db.mark_documents_deleted(session, event.workspace_id, deletions)
    result.deleted = len(result.deleted_ids)
    return result
