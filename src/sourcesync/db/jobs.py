"""Jobs: one row per sync, from queued to a terminal status with its timings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from sourcesync.db.column_types import utcnow
from sourcesync.db.errors import JobNotFoundError
from sourcesync.db.ids import new_id
from sourcesync.db.models import DocumentFailure, Job, JobStatus, JobTrigger, SyncMode
from sourcesync.db.upserts import upsert_into

DEFAULT_JOB_LIST_LIMIT = 50


def create_job(
    session: Session,
    *,
    workspace_id: str,
    source_id: str,
    trigger: JobTrigger,
    mode: SyncMode,
    input: Mapping[str, Any] | None = None,
    job_id: str | None = None,
) -> Job:
    """Create a queued job. With ``job_id``, a second call returns the first call's job,
    so a retried workflow step does not create a twin."""
    job_id = job_id or new_id("job")
    session.execute(
        upsert_into(session, Job)
        .values(
            id=job_id,
            workspace_id=workspace_id,
            source_id=source_id,
            status=JobStatus.QUEUED,
            trigger=trigger,
            mode=mode,
            input=dict(input or {}),
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=[Job.id])
    )
    return require_job(session, job_id)


def get_job(session: Session, job_id: str) -> Job | None:
    """The job as the database has it now (counters change under concurrent batches)."""
    return session.get(Job, job_id, populate_existing=True)


def require_job(session: Session, job_id: str) -> Job:
    """Like ``get_job``, but raises ``JobNotFoundError`` when there is none."""
    job = get_job(session, job_id)
    if job is None:
        raise JobNotFoundError(job_id)
    return job


def list_jobs(
    session: Session,
    workspace_id: str,
    *,
    source_id: str | None = None,
    status: JobStatus | None = None,
    limit: int = DEFAULT_JOB_LIST_LIMIT,
) -> list[Job]:
    """The workspace's jobs, newest first, optionally of one source and/or one status."""
    query = select(Job).where(Job.workspace_id == workspace_id)
    if source_id is not None:
        query = query.where(Job.source_id == source_id)
    if status is not None:
        query = query.where(Job.status == status)
    query = query.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
    return list(session.scalars(query))


def active_jobs(session: Session, source_id: str) -> list[Job]:
    """The source's jobs that are queued or running, oldest first."""
    return list(
        session.scalars(
            select(Job)
            .where(
                Job.source_id == source_id,
                Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
            )
            .order_by(Job.created_at, Job.id)
        )
    )


def mark_job_running(session: Session, job_id: str, *, inngest_run_id: str | None = None) -> Job:
    """Move a queued job to running. A retry keeps the first start time; a job that
    already ended (cancelled before it started, say) is returned unchanged."""
    job = _lock_job(session, job_id)
    if job.status.is_terminal:
        return job
    job.status = JobStatus.RUNNING
    if job.started_at is None:
        job.started_at = utcnow()
    if inngest_run_id is not None:
        job.inngest_run_id = inngest_run_id
    session.flush()
    return job


def mark_job_finished(
    session: Session, job_id: str, status: JobStatus, *, error: str | None = None
) -> Job:
    """End a job with a terminal ``status``, recording when and how long it ran.

    ``COMPLETED`` is stored as ``COMPLETED_WITH_ERRORS`` when any file, document or batch
    of the job failed: the recorded outcomes, not the caller, decide. The first terminal
    status wins; finishing an ended job again returns it unchanged.
    """
    if not status.is_terminal:
        raise ValueError(f"{status} is not a terminal job status")
    job = _lock_job(session, job_id)
    if job.status.is_terminal:
        return job
    if status is JobStatus.COMPLETED and _has_failures(session, job):
        status = JobStatus.COMPLETED_WITH_ERRORS
    now = utcnow()
    started = job.started_at or job.created_at
    job.status = status
    job.error = error
    job.finished_at = now
    job.duration_ms = max(0, int((now - started).total_seconds() * 1000))
    session.flush()
    return job


def _lock_job(session: Session, job_id: str) -> Job:
    # FOR UPDATE (ignored by SQLite, whose BEGIN IMMEDIATE already serialises writers) keeps
    # a concurrent cancel and finish from both seeing a running job.
    job = session.scalar(
        select(Job)
        .where(Job.id == job_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if job is None:
        raise JobNotFoundError(job_id)
    return job


def _has_failures(session: Session, job: Job) -> bool:
    if job.files_failed or job.documents_failed or job.batches_failed:
        return True
    return bool(session.scalar(select(exists().where(DocumentFailure.job_id == job.id))))
