"""Jobs: one row per sync, from queued to a terminal status with its timings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from sourcesync.db.column_types import utcnow
from sourcesync.db.errors import JobNotFoundError
from sourcesync.db.ids import new_id
from sourcesync.db.models import DocumentFailure, Job, JobStatus, JobTrigger, Source, SyncMode
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


def get_job(session: Session, job_id: str, *, workspace_id: str | None = None) -> Job | None:
    """The job as the database has it now (counters change under concurrent batches);
    with ``workspace_id``, None for another workspace's job."""
    job = session.get(Job, job_id, populate_existing=True)
    if job is not None and workspace_id is not None and job.workspace_id != workspace_id:
        return None
    return job


def require_job(session: Session, job_id: str, *, workspace_id: str | None = None) -> Job:
    """Like ``get_job``, but raises ``JobNotFoundError`` when there is none."""
    job = get_job(session, job_id, workspace_id=workspace_id)
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
    offset: int = 0,
) -> list[Job]:
    """The workspace's jobs, newest first, optionally of one source and/or one status;
    ``offset`` skips the first ones (pages)."""
    query = select(Job).where(Job.workspace_id == workspace_id)
    if source_id is not None:
        query = query.where(Job.source_id == source_id)
    if status is not None:
        query = query.where(Job.status == status)
    query = query.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit).offset(offset)
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


STALE_RUNNING_AFTER = timedelta(minutes=45)
"""A job still running this long after it started outlived its sync's 30-minute timeout:
its run is gone (its engine state was lost), so it no longer holds its source."""


@dataclass(frozen=True)
class JobClaim:
    """What ``claim_job`` decided: run the job, wait behind another job of the source, or
    nothing (the job ended, or another run of it holds it)."""

    job: Job
    run: bool
    behind: Job | None = None


def claim_job(session: Session, job_id: str, run_id: str) -> JobClaim:
    """Start a queued job unless another job of its source is running (one sync per
    source): then it stays queued behind that one, which starts it when it ends.

    The source's row is locked first, so two claims for one source are serial.
    """
    job = _lock_job(session, job_id)
    session.execute(select(Source.id).where(Source.id == job.source_id).with_for_update())
    if job.status.is_terminal:
        return JobClaim(job, run=False)
    if job.status is JobStatus.RUNNING:
        # A retry of this run's own claim continues; another run of the same job stops.
        return JobClaim(job, run=job.inngest_run_id == run_id)
    running = session.scalars(
        select(Job).where(
            Job.source_id == job.source_id, Job.status == JobStatus.RUNNING, Job.id != job.id
        )
    ).all()
    now = utcnow()
    for other in running:
        started = other.started_at or other.created_at
        if now - started > STALE_RUNNING_AFTER:
            mark_job_finished(
                session, other.id, JobStatus.FAILED, error="its run stopped without finishing"
            )
            continue
        return JobClaim(job, run=False, behind=other)
    return JobClaim(mark_job_running(session, job_id, inngest_run_id=run_id), run=True)


def next_queued_job(session: Session, source_id: str) -> Job | None:
    """The source's oldest queued job: the one to start when its running job ends."""
    return session.scalars(
        select(Job)
        .where(Job.source_id == source_id, Job.status == JobStatus.QUEUED)
        .order_by(Job.created_at, Job.id)
        .limit(1)
    ).first()


class JobCancelledError(Exception):
    """The job ended (cancelled) while this work was under way: write nothing for it."""


def require_job_active(session: Session, job_id: str, *, updating_job: bool = False) -> None:
    """Raise ``JobCancelledError`` unless the job is queued or running.

    Call it in the transaction that commits a job's work: the row is read under a share
    lock, so a cancel commits either before this check or after this work. A transaction
    that goes on to update the job's row (its counters) passes ``updating_job``: it takes
    the update lock at once, because two transactions holding the share lock that both
    then update the row deadlock on PostgreSQL (SQLite serializes writers anyway).
    """
    query = select(Job.status).where(Job.id == job_id)
    locked = (
        query.with_for_update(key_share=True) if updating_job else query.with_for_update(read=True)
    )
    status = session.scalar(locked)
    if status is None:
        raise JobNotFoundError(job_id)
    if JobStatus(status).is_terminal:
        raise JobCancelledError(f"job {job_id} is {status}: its remaining work is dropped")


def start_waiting(session: Session, job_id: str, what: str, since: datetime) -> bool:
    """Note that the job waits on ``what`` since ``since``, unless it already waits on
    something (the oldest wait is the one that tells of a stall); True when noted."""
    noted = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.waiting_since.is_(None))
        .values(waiting_on=what, waiting_since=since)
    )
    return bool(noted.rowcount)  # type: ignore[attr-defined]


def stop_waiting(session: Session, job_id: str, since: datetime) -> None:
    """The wait noted at ``since`` got its answer."""
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.waiting_since == since)
        .values(waiting_on=None, waiting_since=None)
    )


def add_chunk_progress(session: Session, job_id: str, *, total: int = 0, embedded: int = 0) -> None:
    """Count chunks a job's batches found (``total``) and embedded: progress while a
    batch is embedded (atomic increments, so concurrent batches add up)."""
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(
            chunks_total=Job.chunks_total + total, chunks_embedded=Job.chunks_embedded + embedded
        )
    )


def mark_job_full(session: Session, job_id: str) -> None:
    """Record that a job queued as incremental synced everything (its source had no cursor
    when its plan was made: a new embedding model, say)."""
    session.execute(update(Job).where(Job.id == job_id).values(mode=SyncMode.FULL))


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
