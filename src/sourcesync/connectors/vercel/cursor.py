"""Where the next incremental sync of a Vercel source starts: the cursor the core stores."""

from __future__ import annotations

from pydantic import Field

from ..spec import SourceCursor


class VercelCursor(SourceCursor):
    """Where the next incremental sync starts, as data."""

    since: int = Field(ge=0)
    """The newest ``created`` (epoch ms) of a stored deployment."""
    projects_updated: int = Field(default=0, ge=0)
    """The newest ``updatedAt`` (epoch ms) of a stored project."""
    pending: list[str] = Field(default_factory=list)
    """Deployments that were not finished (BUILDING, QUEUED) at the last sync."""
    projects: dict[str, list[str]] = Field(default_factory=dict)
    """Each stored project's retained deployments, newest first."""
