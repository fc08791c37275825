"""Documents and their content: what was synced, what is embedded, what was deleted."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.orm import Session

from sourcesync.db.column_types import utcnow
from sourcesync.db.models import Document, DocumentContent, DocumentStatus
from sourcesync.db.upserts import upsert_into

# Rows or ids per statement, well under SQLite's limit on bound parameters per statement.
_CHUNK = 200

_T = TypeVar("_T")


@dataclass(frozen=True)
class DocumentUpsert:
    """A document as a sync saw it. ``content``, when given, goes to the content store."""

    id: str
    source_id: str
    title: str | None = None
    url: str | None = None
    path: str | None = None
    content_hash: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    size: int | None = None
    content: str | None = None


def upsert_documents(
    session: Session, workspace_id: str, documents: Sequence[DocumentUpsert]
) -> None:
    """Insert or update documents (and the content of those that carry it).

    A document whose ``content_hash`` equals the hash already embedded becomes
    ``processed`` (nothing to re-embed); any other becomes ``pending``. When an id appears
    more than once, the last one wins.
    """
    latest = {document.id: document for document in documents}
    if not latest:
        return
    now = utcnow()
    # Keys are the model's attribute names (``meta`` holds the ``metadata`` column): a list
    # of parameter sets makes this an ORM bulk upsert, compiled once and cached, where a
    # multi-row VALUES would be compiled anew for every batch.
    rows = [
        {
            "workspace_id": workspace_id,
            "id": document.id,
            "source_id": document.source_id,
            "title": document.title,
            "url": document.url,
            "path": document.path,
            "status": DocumentStatus.PENDING,
            "content_hash": document.content_hash,
            "meta": dict(document.metadata),
            "size": document.size,
            "created_at": now,
            "updated_at": now,
        }
        for document in latest.values()
    ]
    insert = upsert_into(session, Document)
    new = insert.excluded
    session.execute(
        insert.on_conflict_do_update(
            index_elements=[Document.workspace_id, Document.id],
            set_={
                "source_id": new.source_id,
                "title": new.title,
                "url": new.url,
                "path": new.path,
                "content_hash": new.content_hash,
                "metadata": new["metadata"],
                "size": new.size,
                "updated_at": new.updated_at,
                "status": case(
                    (Document.embedded_hash == new.content_hash, DocumentStatus.PROCESSED),
                    else_=DocumentStatus.PENDING,
                ),
            },
        ),
        rows,
    )
    contents = {doc.id: doc.content for doc in latest.values() if doc.content is not None}
    _put_contents(session, workspace_id, contents)


def put_document_content(
    session: Session, workspace_id: str, document_id: str, content: str
) -> None:
    """Store (or replace) the content of an existing document."""
    _put_contents(session, workspace_id, {document_id: content})


def get_document_content(session: Session, workspace_id: str, document_id: str) -> str | None:
    return session.scalar(
        select(DocumentContent.content).where(
            DocumentContent.workspace_id == workspace_id,
            DocumentContent.document_id == document_id,
        )
    )


def get_document_contents(
    session: Session, workspace_id: str, document_ids: Iterable[str]
) -> dict[str, str]:
    """The stored content of many documents at once, by document id."""
    contents: dict[str, str] = {}
    for chunk in _chunked(list(dict.fromkeys(document_ids))):
        rows = session.execute(
            select(DocumentContent.document_id, DocumentContent.content).where(
                DocumentContent.workspace_id == workspace_id,
                DocumentContent.document_id.in_(chunk),
            )
        )
        contents.update((row[0], row[1]) for row in rows)
    return contents


def get_documents(
    session: Session, workspace_id: str, document_ids: Iterable[str]
) -> list[Document]:
    """The documents with these ids, in the order asked; unknown ids are left out."""
    ids = list(dict.fromkeys(document_ids))
    found: dict[str, Document] = {}
    for chunk in _chunked(ids):
        query = select(Document).where(
            Document.workspace_id == workspace_id, Document.id.in_(chunk)
        )
        found.update((document.id, document) for document in session.scalars(query))
    return [found[document_id] for document_id in ids if document_id in found]


def document_statuses(
    session: Session, workspace_id: str, document_ids: Iterable[str]
) -> dict[str, DocumentStatus]:
    """The status of each known document, by id (no ORM objects: a hot path of syncs)."""
    statuses: dict[str, DocumentStatus] = {}
    for chunk in _chunked(list(dict.fromkeys(document_ids))):
        rows = session.execute(
            select(Document.id, Document.status).where(
                Document.workspace_id == workspace_id, Document.id.in_(chunk)
            )
        )
        statuses.update((row[0], row[1]) for row in rows)
    return statuses


def list_document_ids(session: Session, workspace_id: str, source_id: str) -> list[str]:
    """Ids of the source's documents not yet deleted, sorted.

    A full sync deletes those that the source no longer lists.
    """
    return list(
        session.scalars(
            select(Document.id)
            .where(
                Document.workspace_id == workspace_id,
                Document.source_id == source_id,
                Document.status != DocumentStatus.DELETED,
            )
            .order_by(Document.id)
        )
    )


def count_documents(session: Session, workspace_id: str, source_id: str) -> int:
    """How many of the source's documents are not deleted."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Document)
            .where(
                Document.workspace_id == workspace_id,
                Document.source_id == source_id,
                Document.status != DocumentStatus.DELETED,
            )
        )
        or 0
    )


def list_document_ids_to_embed(session: Session, workspace_id: str, source_id: str) -> list[str]:
    """Documents of a source whose content is not (or not yet) in the vector store."""
    return list(
        session.scalars(
            select(Document.id)
            .where(
                Document.workspace_id == workspace_id,
                Document.source_id == source_id,
                Document.status.in_([DocumentStatus.PENDING, DocumentStatus.FAILED]),
            )
            .order_by(Document.id)
        )
    )


def mark_documents_processed(
    session: Session, workspace_id: str, embedded: Sequence[tuple[str, str, int]]
) -> None:
    """Record that the vectors of each document's content are in the store, in one
    statement: ``(document id, embedded hash, chunk count)`` each."""
    if not embedded:
        return
    now = utcnow()
    session.execute(
        update(Document),
        [
            {
                "workspace_id": workspace_id,
                "id": document_id,
                "status": DocumentStatus.PROCESSED,
                "embedded_hash": embedded_hash,
                "chunk_count": chunk_count,
                "updated_at": now,
            }
            for document_id, embedded_hash, chunk_count in embedded
        ],
    )


def mark_documents_deleted(
    session: Session, workspace_id: str, document_ids: Iterable[str]
) -> dict[str, int]:
    """Mark documents deleted and drop their content.

    Returns the documents that were not deleted before (so a job counts each deletion
    once), by id in order, with the number of chunks each had: their vectors' ids.
    """
    now = utcnow()
    deleted: dict[str, int] = {}
    for chunk in _chunked(list(dict.fromkeys(document_ids))):
        counts = dict(
            session.execute(
                select(Document.id, Document.chunk_count).where(
                    Document.workspace_id == workspace_id,
                    Document.id.in_(chunk),
                    Document.status != DocumentStatus.DELETED,
                )
            ).all()
        )
        if counts:
            session.execute(
                update(Document)
                .where(Document.workspace_id == workspace_id, Document.id.in_(list(counts)))
                .values(
                    status=DocumentStatus.DELETED,
                    embedded_hash=None,
                    chunk_count=0,
                    updated_at=now,
                )
            )
        session.execute(
            delete(DocumentContent).where(
                DocumentContent.workspace_id == workspace_id,
                DocumentContent.document_id.in_(chunk),
            )
        )
        deleted.update(counts)
    return dict(sorted(deleted.items()))


def _put_contents(session: Session, workspace_id: str, contents: Mapping[str, str]) -> None:
    if not contents:
        return
    now = utcnow()
    insert = upsert_into(session, DocumentContent)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=[DocumentContent.workspace_id, DocumentContent.document_id],
            set_={"content": insert.excluded.content, "updated_at": insert.excluded.updated_at},
        ),
        [
            {
                "workspace_id": workspace_id,
                "document_id": document_id,
                "content": content,
                "updated_at": now,
            }
            for document_id, content in contents.items()
        ],
    )


def _chunked(items: Iterable[_T]) -> Iterator[list[_T]]:
    chunk: list[_T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def related_by_code(
    session: Session,
    workspace_id: str,
    *,
    key: str,
    repository: str,
    role: str,
    commit: str | None = None,
    other_than_source: str | None = None,
    limit: int = 3,
) -> list[Document]:
    """Documents of the workspace whose code reference (metadata ``key``, see
    ``documents.code_refs``) names ``repository`` in ``role`` (and ``commit``, when
    given), newest first."""
    ref = Document.meta[key]
    query = select(Document).where(
        Document.workspace_id == workspace_id,
        Document.status != DocumentStatus.DELETED,
        ref["repository"].as_string() == repository,
        ref["role"].as_string() == role,
    )
    if commit is not None:
        query = query.where(ref["commit"].as_string() == commit)
    if other_than_source is not None:
        query = query.where(Document.source_id != other_than_source)
    return list(session.scalars(query.order_by(Document.updated_at.desc()).limit(limit)))
