"""Sources: where a workspace syncs from, and the cursor of its last incremental sync."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from sourcesync.db.column_types import utcnow
from sourcesync.db.errors import SecretInConfigError, SourceNameTakenError, SourceNotFoundError
from sourcesync.db.models import Document, DocumentContent, RetiredDocumentId, Source

# Keys that name a credential. Their ``*_env`` form (``token_env = "SOME_TOKEN"``) is fine.
_CREDENTIAL_KEY = re.compile(
    r"(token|secret|password|passwd|api_?key|private_?key|access_?key|credentials?)s?$",
    re.IGNORECASE,
)


def add_source(
    session: Session,
    workspace_id: str,
    *,
    name: str,
    type: str,
    config: Mapping[str, Any] | None = None,
    schedule: str | None = None,
    next_sync_at: datetime | None = None,
) -> Source:
    """Add a source to the workspace; ``config`` may name env vars but hold no credentials.

    ``type`` must be a registered source's (the caller checks it against the registry).
    """
    config = dict(config or {})
    _reject_credentials(config)
    taken = session.scalar(
        select(Source.id).where(
            Source.workspace_id == workspace_id, Source.name == name, Source.removed_at.is_(None)
        )
    )
    if taken is not None:
        raise SourceNameTakenError(name)
    source = Source(
        workspace_id=workspace_id,
        name=name,
        type=type,
        config=config,
        schedule=schedule,
        next_sync_at=next_sync_at,
    )
    session.add(source)
    session.flush()
    return source


def get_source(
    session: Session, workspace_id: str, id_or_name: str, *, removed: bool = False
) -> Source | None:
    """The workspace's live source with this id or, failing that, this name.

    With ``removed``, a removed source is found by its id too (its jobs name it).
    """
    by_id_or_live_name = or_(
        Source.id == id_or_name, (Source.name == id_or_name) & Source.removed_at.is_(None)
    )
    query = select(Source).where(Source.workspace_id == workspace_id, by_id_or_live_name)
    if not removed:
        query = query.where(Source.removed_at.is_(None))
    candidates = session.scalars(query).all()
    for source in candidates:
        if source.id == id_or_name:
            return source
    return candidates[0] if candidates else None


def require_source(session: Session, workspace_id: str, id_or_name: str) -> Source:
    """Like ``get_source``, but raises ``SourceNotFoundError`` when there is none."""
    source = get_source(session, workspace_id, id_or_name)
    if source is None:
        raise SourceNotFoundError(id_or_name)
    return source


def list_sources(session: Session, workspace_id: str) -> list[Source]:
    """The workspace's live sources, by name."""
    return list(
        session.scalars(
            select(Source)
            .where(Source.workspace_id == workspace_id, Source.removed_at.is_(None))
            .order_by(Source.name)
        )
    )


def list_sources_of_type(session: Session, source_type: str) -> list[Source]:
    """Live sources of one type in every workspace (a webhook finds its sources so)."""
    return list(
        session.scalars(
            select(Source)
            .where(Source.type == source_type, Source.removed_at.is_(None))
            .order_by(Source.workspace_id, Source.name)
        )
    )


def remove_source(session: Session, source: Source) -> dict[str, int]:
    """Remove a source: its documents and their content go, its row stays (removed) so
    its jobs stay readable. Returns the documents whose vectors to delete, by id, with
    how many chunks each has."""
    ids = dict(
        session.execute(
            select(Document.id, Document.chunk_count).where(
                Document.workspace_id == source.workspace_id, Document.source_id == source.id
            )
        ).all()
    )
    session.execute(
        delete(DocumentContent).where(
            DocumentContent.workspace_id == source.workspace_id,
            DocumentContent.document_id.in_(
                select(Document.id).where(
                    Document.workspace_id == source.workspace_id,
                    Document.source_id == source.id,
                )
            ),
        )
    )
    session.execute(
        delete(Document).where(
            Document.workspace_id == source.workspace_id, Document.source_id == source.id
        )
    )
    now = utcnow()
    source.removed_at = now
    source.updated_at = now
    source.next_sync_at = None
    session.flush()
    return dict(sorted(ids.items()))


def set_source_schedule(
    session: Session, source_id: str, schedule: str | None, next_sync_at: datetime | None
) -> None:
    """Store a source's schedule and when it is next due (None: not scheduled)."""
    session.execute(
        update(Source)
        .where(Source.id == source_id)
        .values(schedule=schedule, next_sync_at=next_sync_at, updated_at=utcnow())
    )


def due_sources(session: Session, now: datetime) -> list[Source]:
    """Live scheduled sources of every workspace whose next sync is due at ``now``."""
    return list(
        session.scalars(
            select(Source)
            .where(
                Source.removed_at.is_(None),
                Source.next_sync_at.is_not(None),
                Source.next_sync_at <= now,
            )
            .order_by(Source.next_sync_at)
        )
    )


def take_retired_document_ids(session: Session, workspace_id: str, limit: int) -> list[str]:
    """Up to ``limit`` old document ids of the workspace whose vectors may remain; the
    caller deletes those vectors, then ``forget_retired_document_ids``."""
    return list(
        session.scalars(
            select(RetiredDocumentId.document_id)
            .where(RetiredDocumentId.workspace_id == workspace_id)
            .order_by(RetiredDocumentId.document_id)
            .limit(limit)
        )
    )


def forget_retired_document_ids(session: Session, workspace_id: str, ids: list[str]) -> None:
    session.execute(
        delete(RetiredDocumentId).where(
            RetiredDocumentId.workspace_id == workspace_id,
            RetiredDocumentId.document_id.in_(ids),
        )
    )


def update_source_cursor(
    session: Session,
    source_id: str,
    cursor: Mapping[str, Any] | None,
    *,
    synced_at: datetime | None = None,
) -> None:
    """Store where the next incremental sync starts, and when this one ran."""
    now = utcnow()
    updated = session.scalar(
        update(Source)
        .where(Source.id == source_id)
        .values(
            cursor=None if cursor is None else dict(cursor),
            last_synced_at=synced_at or now,
            updated_at=now,
        )
        .returning(Source.id)
    )
    if updated is None:
        raise SourceNotFoundError(source_id)


def _reject_credentials(config: Mapping[str, Any]) -> None:
    for key, value in config.items():
        if isinstance(value, Mapping):
            _reject_credentials(value)
        elif isinstance(value, str) and value and _CREDENTIAL_KEY.search(key):
            raise SecretInConfigError(key)
