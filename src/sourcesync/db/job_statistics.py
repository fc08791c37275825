"""Totals over every job, for metrics: what all replicas did, read from the one database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sourcesync.db.models import BatchStatus, Job, JobBatch, JobStatus

__all__ = ["WorkTotals", "job_counts_by_status", "pending_batch_count", "work_totals"]


@dataclass(frozen=True, slots=True)
class WorkTotals:
    files_processed: int
    files_failed: int
    documents_processed: int
    embeddings_created: int


def job_counts_by_status(session: Session) -> dict[JobStatus, int]:
    """How many jobs have each status (every status, zero included)."""
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
    counts = dict.fromkeys(JobStatus, 0)
    counts.update({JobStatus(status): int(count) for status, count in rows})
    return counts


def work_totals(session: Session) -> WorkTotals:
    """Files, documents and chunks processed by every job so far."""
    row = session.execute(
        select(
            func.coalesce(func.sum(Job.files_processed), 0),
            func.coalesce(func.sum(Job.files_failed), 0),
            func.coalesce(func.sum(Job.documents_processed), 0),
            func.coalesce(func.sum(Job.embeddings_created), 0),
        )
    ).one()
    return WorkTotals(*(int(value) for value in row))


def pending_batch_count(session: Session) -> int:
    """Batches of running jobs not finished yet: the work queued behind the workers."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(JobBatch)
            .join(Job, Job.id == JobBatch.job_id)
            .where(JobBatch.status == BatchStatus.PENDING, Job.status == JobStatus.RUNNING)
        )
        or 0
    )
