"""Documents and their content: what was synced, what is embedded, what was deleted."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Executable, Table, bindparam, case, delete, func, select, update
from sqlalchemy.orm import Session

from sourcesync.db.column_types import utcnow
from sourcesync.db.models import Document, DocumentContent, DocumentStatus
from sourcesync.db.upserts import dialect_of, insert_for

# Rows or ids per statement, well under SQLite's limit on bound parameters per statement.
_CHUNK = 200

_T = TypeVar("_T")

# The batch path's writes are Core statements on the tables, built once: ORM bulk statements
# convert and check each parameter set in Python first, and building an upsert anew (its
# ``excluded`` table) costs about as much as running it for a batch.
_DOCUMENTS: Table = Document.__table__  # type: ignore[assignment]
_CONTENTS: Table = DocumentContent.__table__  # type: ignore[assignment]


@functools.cache
def _documents_upsert(dialect: str) -> Executable:
    insert = insert_for(dialect, _DOCUMENTS)
    new = insert.excluded
    return insert.on_conflict_do_update(
        index_elements=[_DOCUMENTS.c.workspace_id, _DOCUMENTS.c.id],
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
                (_DOCUMENTS.c.embedded_hash == new.content_hash, DocumentStatus.PROCESSED),
                else_=DocumentStatus.PENDING,
            ),
        },
    )


@functools.cache
def _contents_upsert(dialect: str) -> Executable:
    insert = insert_for(dialect, _CONTENTS)
    return insert.on_conflict_do_update(
        index_elements=[_CONTENTS.c.workspace_id, _CONTENTS.c.document_id],
        set_={"content": insert.excluded.content, "updated_at": insert.excluded.updated_at},
    )


_MARK_PROCESSED = (
    update(_DOCUMENTS)
    .where(
        _DOCUMENTS.c.workspace_id == bindparam("workspace", type_=_DOCUMENTS.c.workspace_id.type),
        _DOCUMENTS.c.id == bindparam("document", type_=_DOCUMENTS.c.id.type),
    )
    .values(
        status=DocumentStatus.PROCESSED,
        embedded_hash=bindparam("hash", type_=_DOCUMENTS.c.embedded_hash.type),
        chunk_count=bindparam("chunks", type_=_DOCUMENTS.c.chunk_count.type),
        updated_at=bindparam("now", type_=_DOCUMENTS.c.updated_at.type),
    )
)


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
    # A list of parameter sets (keyed by column name) runs as one cached statement with
    # executemany, where a multi-row VALUES would be compiled anew for every batch.
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
            "metadata": dict(document.metadata),
            "size": document.size,
            "created_at": now,
            "updated_at": now,
        }
        for document in latest.values()
    ]
    session.execute(_documents_upsert(dialect_of(session)), rows)
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
        _MARK_PROCESSED,
        [
            {
                "workspace": workspace_id,
                "document": document_id,
                "hash": embedded_hash,
                "chunks": chunk_count,
                "now": now,
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
    session.execute(
        _contents_upsert(dialect_of(session)),
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
