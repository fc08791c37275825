"""The tables of the application database (DESIGN section 5), as typed declarative models.

Every table below is created by the Alembic migrations in ``migrations/versions``; a test
compares the two, so a change here needs a new migration.

Statuses and kinds are stored as short strings guarded by CHECK constraints (not native
PostgreSQL enums) so that adding a value is an ordinary migration on both backends.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sourcesync.db.column_types import UTCDateTime, utcnow
from sourcesync.db.ids import new_id

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_LENGTH = 64
NAME_LENGTH = 255
HASH_LENGTH = 128
SOURCE_TYPE_LENGTH = 32


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self not in (JobStatus.QUEUED, JobStatus.RUNNING)


class JobTrigger(enum.StrEnum):
    CLI = "cli"
    API = "api"
    WEBHOOK = "webhook"
    SCHEDULE = "schedule"
    SOURCE_CONNECTED = "source_connected"


class SyncMode(enum.StrEnum):
    FULL = "full"
    INCREMENTAL = "incremental"


class BatchKind(enum.StrEnum):
    FILES = "files"
    DOCUMENTS = "documents"


class BatchStatus(enum.StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"


class DocumentStatus(enum.StrEnum):
    PENDING = "pending"
    PROCESSED = "processed"
    FAILED = "failed"
    DELETED = "deleted"


class FailureStage(enum.StrEnum):
    FETCH = "fetch"
    TRANSFORM = "transform"
    CHUNK = "chunk"
    EMBED = "embed"
    UPSERT = "upsert"
    DELETE = "delete"


def _string_enum(enum_class: type[enum.StrEnum], name: str) -> Enum:
    """A VARCHAR column holding the enum's values, with a CHECK constraint named ``name``."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(none_as_null=True),
    }


def _counter() -> Mapped[int]:
    return mapped_column(Integer, default=0, server_default=text("0"))


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Source(Base):
    """A place to sync from. ``config`` names environment variables, never holds secrets.

    ``type`` names a registered source (``connectors.registry``), so installing a source
    needs no migration. A removed source keeps its row (``removed_at``) so that its jobs
    stay readable; its name is free again, since names are unique among live sources only.
    ``schedule`` (an interval like ``1h`` or a cron expression) runs incremental syncs,
    the next one at ``next_sync_at``.
    """

    __tablename__ = "sources"
    __table_args__ = (
        Index(
            "uq_sources_workspace_id_name_live",
            "workspace_id",
            "name",
            unique=True,
            sqlite_where=text("removed_at IS NULL"),
            postgresql_where=text("removed_at IS NULL"),
        ),
        Index("ix_sources_next_sync_at", "next_sync_at"),
    )

    id: Mapped[str] = mapped_column(
        String(ID_LENGTH), primary_key=True, default=lambda: new_id("src")
    )
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    type: Mapped[str] = mapped_column(String(SOURCE_TYPE_LENGTH))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    cursor: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_synced_at: Mapped[datetime | None]
    schedule: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    next_sync_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]


class Store(Base):
    """A vector store namespace and the embedding model whose vectors it holds."""

    __tablename__ = "stores"
    __table_args__ = (UniqueConstraint("workspace_id", "backend", "namespace"),)

    id: Mapped[str] = mapped_column(
        String(ID_LENGTH), primary_key=True, default=lambda: new_id("store")
    )
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    backend: Mapped[str] = mapped_column(String(NAME_LENGTH))
    namespace: Mapped[str] = mapped_column(String(NAME_LENGTH))
    embedding_model: Mapped[str] = mapped_column(String(NAME_LENGTH))
    dimension: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Job(Base):
    """One sync of one source. Counters only grow, through ``record_batch_outcome``."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_workspace_id_created_at", "workspace_id", "created_at"),
        Index("ix_jobs_source_id_created_at", "source_id", "created_at"),
        Index("ix_jobs_status", "status"),
    )

    id: Mapped[str] = mapped_column(
        String(ID_LENGTH), primary_key=True, default=lambda: new_id("job")
    )
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    status: Mapped[JobStatus] = mapped_column(_string_enum(JobStatus, "job_status"))
    trigger: Mapped[JobTrigger] = mapped_column(_string_enum(JobTrigger, "job_trigger"))
    mode: Mapped[SyncMode] = mapped_column(_string_enum(SyncMode, "sync_mode"))

    files_total: Mapped[int] = _counter()
    files_processed: Mapped[int] = _counter()
    files_failed: Mapped[int] = _counter()
    files_skipped: Mapped[int] = _counter()
    files_deleted: Mapped[int] = _counter()
    documents_total: Mapped[int] = _counter()
    documents_processed: Mapped[int] = _counter()
    documents_failed: Mapped[int] = _counter()
    documents_skipped: Mapped[int] = _counter()
    documents_deleted: Mapped[int] = _counter()
    embeddings_created: Mapped[int] = _counter()
    batches_total: Mapped[int] = _counter()
    batches_completed: Mapped[int] = _counter()
    batches_failed: Mapped[int] = _counter()

    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    inngest_run_id: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    input: Mapped[dict[str, Any]] = mapped_column(default=dict)
    waiting_on: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    """What the job's oldest unanswered call waits on (the embedder, the source)."""
    waiting_since: Mapped[datetime | None]
    chunks_total: Mapped[int] = _counter()
    """Chunks of the job's documents batches so far (progress only: a retried batch counts
    again; the metrics come from batch outcomes)."""
    chunks_embedded: Mapped[int] = _counter()
    """Of those, chunks embedded (or found in the embedding cache) so far."""


class JobBatch(Base):
    """The outcome of one fan-out batch; its primary key makes a retried batch count once."""

    __tablename__ = "job_batches"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[BatchKind] = mapped_column(_string_enum(BatchKind, "batch_kind"), primary_key=True)
    batch_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[BatchStatus] = mapped_column(_string_enum(BatchStatus, "batch_status"))
    item_count: Mapped[int] = _counter()
    processed: Mapped[int] = _counter()
    failed: Mapped[int] = _counter()
    skipped: Mapped[int] = _counter()
    deleted: Mapped[int] = _counter()
    embeddings: Mapped[int] = _counter()
    items: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class Document(Base):
    """What sourcesync knows of one source item; its content lives in ``DocumentContent``.

    ``embedded_hash`` is the hash of the content whose vectors are in the store, so a
    document needs embedding exactly when it differs from ``content_hash``.
    """

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_workspace_id_source_id", "workspace_id", "source_id"),)

    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str | None] = mapped_column(Text)
    status: Mapped[DocumentStatus] = mapped_column(_string_enum(DocumentStatus, "document_status"))
    content_hash: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    embedded_hash: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    chunk_count: Mapped[int] = _counter()
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    size: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DocumentContent(Base):
    """The content store: document text stays here and never travels through events."""

    __tablename__ = "document_contents"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "document_id"],
            ["documents.workspace_id", "documents.id"],
            ondelete="CASCADE",
        ),
    )

    workspace_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    document_id: Mapped[str] = mapped_column(Text, primary_key=True)
    content: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DocumentFailure(Base):
    """A document that failed at one stage of one job; a retry overwrites, never duplicates."""

    __tablename__ = "document_failures"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    document_id: Mapped[str] = mapped_column(Text, primary_key=True)
    stage: Mapped[FailureStage] = mapped_column(
        _string_enum(FailureStage, "failure_stage"), primary_key=True
    )
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RetiredDocumentId(Base):
    """A document id whose vectors may still be in the store under that old id.

    Migration 0002 moved document ids under their source (``{source_id}:{name}``) and
    recorded the old ones here; store-ensure deletes their vectors, then their rows.
    """

    __tablename__ = "retired_document_ids"

    workspace_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    document_id: Mapped[str] = mapped_column(Text, primary_key=True)


class TokenKind(enum.StrEnum):
    USER = "user"
    """Made with ``sourcesync tokens create``: for other machines and people."""
    LOCAL = "local"
    """Made on first start, in ``SOURCESYNC_HOME/api-token``: for this machine's own use."""


class TokenScope(enum.StrEnum):
    READ = "read"
    """Reads the workspace (jobs, sources, search, the dashboard) and acts on nothing."""
    WRITE = "write"
    """Reads, and acts: syncs, cancels, sends events, adds and removes sources."""


class ApiToken(Base):
    """A bearer token for ``/api/*`` and the dashboard, scoped to one workspace; only its
    SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(
        String(ID_LENGTH), primary_key=True, default=lambda: new_id("tok")
    )
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    kind: Mapped[TokenKind] = mapped_column(_string_enum(TokenKind, "token_kind"))
    token_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    scope: Mapped[TokenScope] = mapped_column(
        _string_enum(TokenScope, "token_scope"),
        default=TokenScope.WRITE,
        server_default=TokenScope.WRITE.value,
    )
