"""Sources: where a workspace syncs from, and the cursor of its last incremental sync."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from sourcesync.db.column_types import utcnow
from sourcesync.db.errors import SecretInConfigError, SourceNameTakenError, SourceNotFoundError
from sourcesync.db.models import Source, SourceType

# Keys that name a credential. Their ``*_env`` form (``token_env = "GITHUB_TOKEN"``) is fine.
_CREDENTIAL_KEY = re.compile(
    r"(token|secret|password|passwd|api_?key|private_?key|access_?key|credentials?)s?$",
    re.IGNORECASE,
)


def add_source(
    session: Session,
    workspace_id: str,
    *,
    name: str,
    type: SourceType,
    config: Mapping[str, Any] | None = None,
) -> Source:
    """Add a source to the workspace; ``config`` may name env vars but hold no credentials."""
    config = dict(config or {})
    _reject_credentials(config)
    taken = session.scalar(
        select(Source.id).where(Source.workspace_id == workspace_id, Source.name == name)
    )
    if taken is not None:
        raise SourceNameTakenError(name)
    source = Source(workspace_id=workspace_id, name=name, type=type, config=config)
    session.add(source)
    session.flush()
    return source


def get_source(session: Session, workspace_id: str, id_or_name: str) -> Source | None:
    """The workspace's source with this id or, failing that, this name."""
    candidates = session.scalars(
        select(Source).where(
            Source.workspace_id == workspace_id,
            or_(Source.id == id_or_name, Source.name == id_or_name),
        )
    ).all()
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
    return list(
        session.scalars(
            select(Source).where(Source.workspace_id == workspace_id).order_by(Source.name)
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
