"""Sources as plugins: any registered source type, schedules, removal, ids per source.

- ``sources.type`` loses its CHECK constraint: types are validated against the registry of
  installed sources, so installing one needs no migration.
- ``sources`` gains ``schedule``, ``next_sync_at`` and ``removed_at``; names are unique
  among live sources only (a partial unique index).
- Document ids become ``{source_id}:{old id}``, so two sources on the same repository
  never share one. The old ids go to ``retired_document_ids`` (store-ensure deletes their
  vectors), the documents become pending and every cursor is cleared, so each source's
  next sync is a full one that embeds its documents under their new ids.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE = sa.text("removed_at IS NULL")
_OLD_ID = "substr(d.id, 1, length(d.source_id) + 1) <> d.source_id || ':'"
"""True for a document row whose id is not yet under its source."""
_DOCUMENT_COLUMNS = "title, url, path, content_hash, metadata, size, created_at, updated_at"


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_constraint(op.f("ck_sources_source_type"), type_="check")
        batch.drop_constraint(op.f("uq_sources_workspace_id_name"), type_="unique")
        batch.alter_column("type", existing_type=sa.String(length=32), type_=sa.String(32))
        batch.add_column(sa.Column("schedule", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("next_sync_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "uq_sources_workspace_id_name_live",
        "sources",
        ["workspace_id", "name"],
        unique=True,
        sqlite_where=_LIVE,
        postgresql_where=_LIVE,
    )
    op.create_index("ix_sources_next_sync_at", "sources", ["next_sync_at"])
    op.create_table(
        "retired_document_ids",
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id", "document_id", name=op.f("pk_retired_document_ids")
        ),
    )
    _scope_document_ids()


def _scope_document_ids() -> None:
    op.execute(
        "INSERT INTO retired_document_ids (workspace_id, document_id) "
        f"SELECT d.workspace_id, d.id FROM documents d WHERE {_OLD_ID} "
        "AND (d.chunk_count > 0 OR d.embedded_hash IS NOT NULL)"
    )
    op.execute(
        "INSERT INTO documents (workspace_id, id, source_id, status, embedded_hash, "
        f"chunk_count, {_DOCUMENT_COLUMNS}) "
        "SELECT d.workspace_id, d.source_id || ':' || d.id, d.source_id, "
        "CASE WHEN d.status = 'deleted' THEN 'deleted' ELSE 'pending' END, NULL, 0, "
        f"{', '.join('d.' + c for c in _DOCUMENT_COLUMNS.split(', '))} "
        f"FROM documents d WHERE {_OLD_ID}"
    )
    op.execute(
        "INSERT INTO document_contents (workspace_id, document_id, content, updated_at) "
        "SELECT c.workspace_id, d.source_id || ':' || c.document_id, c.content, c.updated_at "
        "FROM document_contents c JOIN documents d "
        f"ON d.workspace_id = c.workspace_id AND d.id = c.document_id WHERE {_OLD_ID}"
    )
    op.execute(
        "UPDATE document_failures SET document_id = ("
        "SELECT d.source_id || ':' || d.id FROM documents d "
        "WHERE d.workspace_id = document_failures.workspace_id "
        f"AND d.id = document_failures.document_id AND {_OLD_ID}) "
        "WHERE EXISTS (SELECT 1 FROM documents d "
        "WHERE d.workspace_id = document_failures.workspace_id "
        f"AND d.id = document_failures.document_id AND {_OLD_ID})"
    )
    op.execute(
        "DELETE FROM document_contents WHERE EXISTS (SELECT 1 FROM documents d "
        "WHERE d.workspace_id = document_contents.workspace_id "
        f"AND d.id = document_contents.document_id AND {_OLD_ID})"
    )
    op.execute(f"DELETE FROM documents WHERE id IN (SELECT d.id FROM documents d WHERE {_OLD_ID})")
    op.execute("UPDATE sources SET cursor = NULL")


def downgrade() -> None:
    op.drop_table("retired_document_ids")
    op.drop_index("ix_sources_next_sync_at", table_name="sources")
    op.drop_index("uq_sources_workspace_id_name_live", table_name="sources")
    op.execute("DELETE FROM sources WHERE removed_at IS NOT NULL")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("removed_at")
        batch.drop_column("next_sync_at")
        batch.drop_column("schedule")
        # 0001's list of types is not restored: rows may hold types installed since.
        batch.create_unique_constraint(
            op.f("uq_sources_workspace_id_name"), ["workspace_id", "name"]
        )
