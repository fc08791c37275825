"""Cursors shared by several sources."""

from __future__ import annotations

from datetime import datetime

from pydantic import AliasChoices, Field

from .spec import SourceCursor

__all__ = ["CommitCursor", "UpdatedAtCursor"]


class CommitCursor(SourceCursor):
    """A file source's last synced commit: the next sync lists what changed since."""

    commit: str = Field(min_length=1)


class UpdatedAtCursor(SourceCursor):
    """The newest ``updatedAt`` a document source has stored (timezone-aware)."""

    updated_at: datetime = Field(
        validation_alias=AliasChoices("updatedAt", "updated_at"), serialization_alias="updatedAt"
    )
