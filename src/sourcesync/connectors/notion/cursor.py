"""Where the next incremental sync of a Notion source starts: the cursor the core stores."""

from __future__ import annotations

from datetime import datetime

from pydantic import AliasChoices, Field

from ..spec import SourceCursor


class NotionCursor(SourceCursor):
    """The newest ``last_edited_time`` stored, and the ids the last listing saw (so that
    the next sync can tell which ones were trashed or lost)."""

    updated_at: datetime = Field(
        validation_alias=AliasChoices("updatedAt", "updated_at"), serialization_alias="updatedAt"
    )
    pages: list[str] = Field(default_factory=list)
    data_sources: list[str] = Field(
        default_factory=list,
        validation_alias=AliasChoices("dataSources", "data_sources"),
        serialization_alias="dataSources",
    )
