"""The application database: models, migrations, and the queries the workflows need.

Every query function takes a ``Session`` and runs in the caller's transaction::

    engine = create_db_engine(url)
    upgrade_to_head(url)
    sessions = create_session_factory(engine)
    with sessions.begin() as session:
        record_batch_outcome(session, job_id, BatchKind.FILES, 3, processed=50)
"""

from sourcesync.db.document_failures import list_failures, record_document_failure
from sourcesync.db.documents import (
    DocumentUpsert,
    document_statuses,
    get_document_content,
    get_document_contents,
    get_documents,
    list_document_ids,
    list_document_ids_to_embed,
    mark_documents_deleted,
    mark_documents_processed,
    put_document_content,
    upsert_documents,
)
from sourcesync.db.errors import (
    DatabaseError,
    JobNotFoundError,
    NotFoundError,
    SecretInConfigError,
    SourceNameTakenError,
    SourceNotFoundError,
    StoreMismatchError,
    UnsupportedDatabaseError,
    WorkspaceIdTakenError,
)
from sourcesync.db.job_batches import (
    BatchProgress,
    JobProgress,
    batch_items,
    job_progress,
    record_batch_outcome,
    register_batches,
)
from sourcesync.db.jobs import (
    create_job,
    get_job,
    list_jobs,
    mark_job_finished,
    mark_job_running,
    require_job,
)
from sourcesync.db.migrate import alembic_config, upgrade_to_head
from sourcesync.db.models import (
    Base,
    BatchKind,
    BatchStatus,
    Document,
    DocumentContent,
    DocumentFailure,
    DocumentStatus,
    FailureStage,
    Job,
    JobBatch,
    JobStatus,
    JobTrigger,
    Source,
    SourceType,
    Store,
    SyncMode,
    Workspace,
)
from sourcesync.db.session import DEFAULT_DATABASE_URL, create_db_engine, create_session_factory
from sourcesync.db.sources import (
    add_source,
    get_source,
    list_sources,
    require_source,
    update_source_cursor,
)
from sourcesync.db.stores import ensure_store, list_stores
from sourcesync.db.workspaces import (
    DEFAULT_WORKSPACE_ID,
    ensure_default_workspace,
    ensure_workspace,
    get_workspace,
    list_workspaces,
)

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DEFAULT_WORKSPACE_ID",
    "Base",
    "BatchKind",
    "BatchProgress",
    "BatchStatus",
    "DatabaseError",
    "Document",
    "DocumentContent",
    "DocumentFailure",
    "DocumentStatus",
    "DocumentUpsert",
    "FailureStage",
    "Job",
    "JobBatch",
    "JobNotFoundError",
    "JobProgress",
    "JobStatus",
    "JobTrigger",
    "NotFoundError",
    "SecretInConfigError",
    "Source",
    "SourceNameTakenError",
    "SourceNotFoundError",
    "SourceType",
    "Store",
    "StoreMismatchError",
    "SyncMode",
    "UnsupportedDatabaseError",
    "Workspace",
    "WorkspaceIdTakenError",
    "add_source",
    "alembic_config",
    "batch_items",
    "create_db_engine",
    "create_job",
    "create_session_factory",
    "document_statuses",
    "ensure_default_workspace",
    "ensure_store",
    "ensure_workspace",
    "get_document_content",
    "get_document_contents",
    "get_documents",
    "get_job",
    "get_source",
    "get_workspace",
    "job_progress",
    "list_document_ids",
    "list_document_ids_to_embed",
    "list_failures",
    "list_jobs",
    "list_sources",
    "list_stores",
    "list_workspaces",
    "mark_documents_deleted",
    "mark_documents_processed",
    "mark_job_finished",
    "mark_job_running",
    "put_document_content",
    "record_batch_outcome",
    "record_document_failure",
    "register_batches",
    "require_job",
    "require_source",
    "update_source_cursor",
    "upgrade_to_head",
    "upsert_documents",
]
