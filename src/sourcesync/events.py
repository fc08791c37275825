"""Every event of the sync flow: its name and its payload model.

Events carry ids and counts, never content. Field names are camelCase on the wire, as in
the original design (``jobId``, ``workspaceId``), snake_case in Python.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import pydantic
from pydantic.alias_generators import to_camel

SourceType = Annotated[str, pydantic.StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
"""A registered source's type name (``connectors.registry``); events only check its form."""
SyncMode = Literal["full", "incremental"]
SyncTrigger = Literal["cli", "api", "webhook", "schedule", "source_connected"]
JobStatus = Literal[
    "queued", "running", "completed", "completed_with_errors", "failed", "cancelled"
]

Id = Annotated[str, pydantic.StringConstraints(min_length=1, max_length=200)]
Count = Annotated[int, pydantic.Field(ge=0)]


class WireModel(pydantic.BaseModel):
    """camelCase on the wire, unknown fields refused.

    Validators are built on a model's first use, not at import (``defer_build``): a
    command that reads a job's metrics has no use for the other twenty event models.
    """

    model_config = pydantic.ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        defer_build=True,
    )

    def to_data(self) -> dict[str, Any]:
        """The JSON object sent (event data, or a function's output)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class EventData(WireModel):
    """Base of every event payload; ``name`` is the event's name."""

    name: ClassVar[str]


class SyncRequested(EventData):
    """Start a sync of one source. The single entry event for every source."""

    name: ClassVar[str] = "apps-console/sync.requested"
    workspace_id: Id
    source_id: Id
    source_type: SourceType
    mode: SyncMode = "incremental"
    trigger: SyncTrigger = "api"
    job_id: Id | None = None
    before: str | None = None
    after: str | None = None


class SyncMetrics(WireModel):
    """Counted from rows the workers wrote, never estimated."""

    files_processed: Count = 0
    files_failed: Count = 0
    files_skipped: Count = 0
    files_deleted: Count = 0
    documents_processed: Count = 0
    embeddings_created: Count = 0


class SyncCompleted(EventData):
    """A sync ended; its metrics are counted from the database, from work actually done."""

    name: ClassVar[str] = "apps-console/sync.completed"
    function: Literal["sync-orchestrator"] = "sync-orchestrator"
    job_id: Id
    workspace_id: Id
    source_id: Id
    status: JobStatus
    metrics: SyncMetrics
    duration_ms: Count
    error: str | None = None


class SourceConnected(EventData):
    """A source was added: run its first, full sync (as the queued job ``jobId``, if given)."""

    name: ClassVar[str] = "apps-console/source.connected"
    workspace_id: Id
    source_id: Id
    source_type: SourceType
    job_id: Id | None = None


class SourceChanged(EventData):
    """A webhook saw a change: debounced per source into one incremental sync."""

    name: ClassVar[str] = "apps-console/source.changed"
    workspace_id: Id
    source_id: Id
    source_type: SourceType
    before: str | None = None
    after: str | None = None


class SyncCancel(EventData):
    """Cancel a job: its orchestrator and every child run stop (``cancelOn`` by ``jobId``)."""

    name: ClassVar[str] = "apps-console/sync.cancel"
    job_id: Id


class SchedulesCheck(EventData):
    """Sync the scheduled sources that are due now (the scheduler also runs every minute)."""

    name: ClassVar[str] = "apps-console/schedules.check"


class DocumentsRemoved(EventData):
    """A source said these documents are gone (a webhook's ``remove`` action)."""

    name: ClassVar[str] = "apps-console/documents.removed"
    workspace_id: Id
    source_id: Id
    document_ids: list[Id] = pydantic.Field(min_length=1, max_length=500)


class FilesBatchProcess(EventData):
    """Process one planned batch of files (at most 50) of a job."""

    name: ClassVar[str] = "apps-console/files.batch.process"
    job_id: Id
    workspace_id: Id
    source_id: Id
    batch_index: Count
    namespace: Id
    head: Id


class FilesBatchCompleted(EventData):
    name: ClassVar[str] = "apps-console/files.batch.completed"
    job_id: Id
    batch_index: Count
    remaining: Count


class DocsBatchTrigger(EventData):
    """Embed these stored documents (their content is in the content store)."""

    name: ClassVar[str] = "apps-console/docs.batch.trigger"
    job_id: Id
    workspace_id: Id
    source_id: Id
    namespace: Id
    batch_index: Count
    document_ids: list[Id] = pydantic.Field(max_length=500)


class DocsBatchCompleted(EventData):
    """A documents batch ended; ``remaining`` counts the job's unfinished batches of any kind."""

    name: ClassVar[str] = "apps-console/docs.batch.completed"
    job_id: Id
    batch_index: Count
    documents_processed: Count
    documents_failed: Count
    embeddings_created: Count
    remaining: Count


class DocumentsProcess(EventData):
    """Chunk, embed and upsert documents (at most 50) into the store."""

    name: ClassVar[str] = "apps-console/documents.process"
    job_id: Id
    workspace_id: Id
    namespace: Id
    document_ids: list[Id] = pydantic.Field(min_length=1, max_length=50)


class StoreEnsure(EventData):
    """Make sure a workspace's vector store exists before anything is written."""

    name: ClassVar[str] = "apps-console/store.ensure"
    workspace_id: Id


class SourceSyncTrigger(EventData):
    """Run the source-specific part of a job (``apps-console/<source>.sync.trigger``)."""

    name: ClassVar[str] = "apps-console/source.sync.trigger"
    job_id: Id
    workspace_id: Id
    source_id: Id
    namespace: Id
    mode: SyncMode

    @staticmethod
    def name_for(source_type: str) -> str:
        return f"apps-console/{source_type}.sync.trigger"


class SourceSyncCompleted(EventData):
    """The source-specific part of a job ended (``apps-console/<source>.sync.completed``)."""

    name: ClassVar[str] = "apps-console/source.sync.completed"
    job_id: Id
    files_total: Count
    batches: Count
    mode: SyncMode

    @staticmethod
    def name_for(source_type: str) -> str:
        return f"apps-console/{source_type}.sync.completed"


def validation_message(error: pydantic.ValidationError) -> str:
    """One line naming every bad field, for ``NonRetriableError``."""
    parts = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "data"
        parts.append(f"{field}: {item['msg']}")
    return "invalid event data: " + "; ".join(parts)


class StoreEnsured(WireModel):
    """Output of store-ensure."""

    function: Literal["store-ensure"] = "store-ensure"
    namespace: Id
    dimension: Count
    model: str


class DocumentsProcessed(WireModel):
    """Output of documents-process and of docs-batch-coordinator."""

    function: Literal["documents-process", "docs-batch-coordinator"]
    processed: Count
    failed: Count
    embeddings: Count


class FilesBatchProcessed(WireModel):
    """Output of files-batch-processor."""

    function: Literal["files-batch-processor"] = "files-batch-processor"
    processed: Count
    failed: Count
    skipped: Count
    deleted: Count


class SourceSynced(WireModel):
    """Output of a source workflow (``<source>-sync``)."""

    function: Literal["source-sync"] = "source-sync"
    job_id: Id
    files_total: Count
    batches: Count
    mode: SyncMode
    notes: list[str] = pydantic.Field(default_factory=list)


class SourceConnectedResult(WireModel):
    """Output of source-connected: the first sync's job and how it ended."""

    function: Literal["source-connected"] = "source-connected"
    job_id: Id
    status: JobStatus


WorkflowOutput = Annotated[
    StoreEnsured
    | DocumentsProcessed
    | FilesBatchProcessed
    | SourceSynced
    | SourceConnectedResult
    | SyncCompleted,
    pydantic.Field(discriminator="function"),
]
