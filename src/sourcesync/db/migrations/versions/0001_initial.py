"""Initial schema: workspaces, sources, stores, jobs, job batches, documents and failures.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _string_enum(constraint_name: str, *values: str) -> sa.Enum:
    return sa.Enum(
        *values,
        name=op.f(constraint_name),
        native_enum=False,
        create_constraint=True,
        length=32,
    )


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _counter(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False)


def _json(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.JSON(none_as_null=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspaces")),
        sa.UniqueConstraint("name", name=op.f("uq_workspaces_name")),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column(
            "type",
            _string_enum(
                "ck_sources_source_type", "git", "github", "linear", "vercel", "notion", "slack"
            ),
            nullable=False,
        ),
        _json("config"),
        _json("cursor", nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _timestamp("last_synced_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_sources_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_sources_workspace_id_name")),
    )
    op.create_table(
        "stores",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("backend", sa.String(length=255), nullable=False),
        sa.Column("namespace", sa.String(length=255), nullable=False),
        sa.Column("embedding_model", sa.String(length=255), nullable=False),
        sa.Column("dimension", sa.Integer(), nullable=False),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_stores_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stores")),
        sa.UniqueConstraint(
            "workspace_id",
            "backend",
            "namespace",
            name=op.f("uq_stores_workspace_id_backend_namespace"),
        ),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            _string_enum(
                "ck_jobs_job_status",
                "queued",
                "running",
                "completed",
                "completed_with_errors",
                "failed",
                "cancelled",
            ),
            nullable=False,
        ),
        sa.Column(
            "trigger",
            _string_enum(
                "ck_jobs_job_trigger", "cli", "api", "webhook", "schedule", "source_connected"
            ),
            nullable=False,
        ),
        sa.Column("mode", _string_enum("ck_jobs_sync_mode", "full", "incremental"), nullable=False),
        _counter("files_total"),
        _counter("files_processed"),
        _counter("files_failed"),
        _counter("files_skipped"),
        _counter("files_deleted"),
        _counter("documents_total"),
        _counter("documents_processed"),
        _counter("documents_failed"),
        _counter("documents_skipped"),
        _counter("documents_deleted"),
        _counter("embeddings_created"),
        _counter("batches_total"),
        _counter("batches_completed"),
        _counter("batches_failed"),
        sa.Column("error", sa.Text(), nullable=True),
        _timestamp("created_at"),
        _timestamp("started_at", nullable=True),
        _timestamp("finished_at", nullable=True),
        sa.Column("duration_ms", sa.BigInteger(), nullable=True),
        sa.Column("inngest_run_id", sa.String(length=255), nullable=True),
        _json("input"),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_jobs_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_jobs_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index("ix_jobs_source_id_created_at", "jobs", ["source_id", "created_at"])
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_index("ix_jobs_workspace_id_created_at", "jobs", ["workspace_id", "created_at"])
    op.create_table(
        "job_batches",
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            _string_enum("ck_job_batches_batch_kind", "files", "documents"),
            nullable=False,
        ),
        sa.Column("batch_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(
            "status",
            _string_enum("ck_job_batches_batch_status", "pending", "completed", "failed"),
            nullable=False,
        ),
        _counter("item_count"),
        _counter("processed"),
        _counter("failed"),
        _counter("skipped"),
        _counter("deleted"),
        _counter("embeddings"),
        sa.Column("items", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _timestamp("created_at"),
        _timestamp("finished_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs.id"],
            name=op.f("fk_job_batches_job_id_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "kind", "batch_index", name=op.f("pk_job_batches")),
    )
    op.create_table(
        "documents",
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column(
            "status",
            _string_enum(
                "ck_documents_document_status", "pending", "processed", "failed", "deleted"
            ),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=128), nullable=True),
        sa.Column("embedded_hash", sa.String(length=128), nullable=True),
        _counter("chunk_count"),
        _json("metadata"),
        sa.Column("size", sa.BigInteger(), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_documents_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_documents_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "id", name=op.f("pk_documents")),
    )
    op.create_index(
        "ix_documents_workspace_id_source_id", "documents", ["workspace_id", "source_id"]
    )
    op.create_table(
        "document_contents",
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        _timestamp("updated_at"),
        sa.ForeignKeyConstraint(
            ["workspace_id", "document_id"],
            ["documents.workspace_id", "documents.id"],
            name=op.f("fk_document_contents_workspace_id_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "document_id", name=op.f("pk_document_contents")),
    )
    op.create_table(
        "document_failures",
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.Text(), nullable=False),
        sa.Column(
            "stage",
            _string_enum(
                "ck_document_failures_failure_stage",
                "fetch",
                "transform",
                "chunk",
                "embed",
                "upsert",
                "delete",
            ),
            nullable=False,
        ),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs.id"],
            name=op.f("fk_document_failures_job_id_jobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_document_failures_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "job_id", "document_id", "stage", name=op.f("pk_document_failures")
        ),
    )


def downgrade() -> None:
    for table in (
        "document_failures",
        "document_contents",
        "documents",
        "job_batches",
        "jobs",
        "stores",
        "sources",
        "workspaces",
    ):
        op.drop_table(table)
