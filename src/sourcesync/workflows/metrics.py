"""A job's metrics, counted from the rows its workers wrote."""

from __future__ import annotations

from sourcesync import db
from sourcesync.events import SyncMetrics


def job_metrics(job: db.Job) -> SyncMetrics:
    """The ``sync.completed`` metrics of a job.

    A file is processed once its document is embedded and stored; it failed when any
    stage failed (fetch, chunk, embed, upsert); it was skipped when binary, too large,
    empty or unchanged since the last sync.
    """
    return SyncMetrics(
        files_processed=job.documents_processed,
        files_failed=job.files_failed + job.documents_failed,
        files_skipped=job.files_skipped,
        files_deleted=job.files_deleted,
        documents_processed=job.documents_processed,
        embeddings_created=job.embeddings_created,
    )
