"""Workspaces: every other row belongs to one, and no query crosses them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sourcesync.db.column_types import utcnow
from sourcesync.db.errors import WorkspaceIdTakenError
from sourcesync.db.ids import new_id
from sourcesync.db.models import Workspace
from sourcesync.db.upserts import upsert_into

DEFAULT_WORKSPACE_ID = "default"
DEFAULT_WORKSPACE_NAME = "default"


def ensure_workspace(session: Session, name: str, *, workspace_id: str | None = None) -> Workspace:
    """Return the workspace called ``name``, creating it (with ``workspace_id``) if missing.

    Safe when several processes start at once: the insert ignores a conflicting row. A
    workspace that exists is only read, so a command that reads takes no write lock.
    """
    found = session.scalar(select(Workspace).where(Workspace.name == name))
    if found is not None:
        return found
    workspace_id = workspace_id or new_id("ws")
    session.execute(
        upsert_into(session, Workspace)
        .values(id=workspace_id, name=name, created_at=utcnow())
        .on_conflict_do_nothing()
    )
    workspace = session.scalar(select(Workspace).where(Workspace.name == name))
    if workspace is None:
        raise WorkspaceIdTakenError(workspace_id, name)
    return workspace


def ensure_default_workspace(session: Session) -> Workspace:
    """The workspace used when none is named (a laptop, the CLI)."""
    return ensure_workspace(session, DEFAULT_WORKSPACE_NAME, workspace_id=DEFAULT_WORKSPACE_ID)


def get_workspace(session: Session, workspace_id: str) -> Workspace | None:
    return session.get(Workspace, workspace_id)


def list_workspaces(session: Session) -> list[Workspace]:
    return list(session.scalars(select(Workspace).order_by(Workspace.name)))
