"""Job batches: the outcome of every fan-out batch, and job progress counted from them.

The database is the truth for fan-in (DESIGN section 3): a parent re-reads ``job_progress``
after every wake-up instead of trusting that it saw every completion event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from sourcesync.db.column_types import utcnow
from sourcesync.db.errors import JobNotFoundError
from sourcesync.db.models import BatchKind, BatchStatus, Job, JobBatch
from sourcesync.db.upserts import upsert_into

# Rows per INSERT, well under SQLite's limit on bound parameters per statement.
_REGISTER_CHUNK = 500


@dataclass(frozen=True)
class BatchProgress:
    """Batches of one kind of one job, counted from their rows."""

    batches_total: int = 0
    batches_pending: int = 0
    batches_completed: int = 0
    batches_failed: int = 0
    items_total: int = 0
    items_processed: int = 0
    items_failed: int = 0
    items_skipped: int = 0
    items_deleted: int = 0
    embeddings: int = 0

    @property
    def finished(self) -> bool:
        """Every registered batch has an outcome."""
        return self.batches_pending == 0


@dataclass(frozen=True)
class JobProgress:
    files: BatchProgress = field(default_factory=BatchProgress)
    documents: BatchProgress = field(default_factory=BatchProgress)

    def of(self, kind: BatchKind) -> BatchProgress:
        return self.files if kind is BatchKind.FILES else self.documents


def register_batches(
    session: Session,
    job_id: str,
    kind: BatchKind,
    item_counts: Sequence[int],
    *,
    first_index: int = 0,
    items: Sequence[list[Any]] | None = None,
) -> int:
    """Record batches ``first_index, first_index + 1, ...`` as pending, before their events
    are sent, so that progress knows how many to wait for.

    ``items`` (one JSON list per batch) is the work of each batch, read back by its worker
    with ``batch_items``: the plan lives in the database, never in events. Batches already
    recorded are left alone and not counted again. Returns how many batches were new.
    """
    if any(count < 0 for count in item_counts):
        raise ValueError("item counts cannot be negative")
    if items is not None and len(items) != len(item_counts):
        raise ValueError("items needs one list per batch")
    _ensure_job_exists(session, job_id)
    now = utcnow()
    rows = [
        {
            "job_id": job_id,
            "kind": kind,
            "batch_index": first_index + offset,
            "status": BatchStatus.PENDING,
            "item_count": count,
            "items": items[offset] if items is not None else None,
            "created_at": now,
        }
        for offset, count in enumerate(item_counts)
    ]
    new_batches = new_items = 0
    for start in range(0, len(rows), _REGISTER_CHUNK):
        insert = upsert_into(session, JobBatch).values(rows[start : start + _REGISTER_CHUNK])
        inserted = session.scalars(
            insert.on_conflict_do_nothing(
                index_elements=[JobBatch.job_id, JobBatch.kind, JobBatch.batch_index]
            ).returning(JobBatch.item_count)
        ).all()
        new_batches += len(inserted)
        new_items += sum(inserted)
    if new_batches:
        _add_to_job(session, job_id, _registration_increments(kind, new_batches, new_items))
    return new_batches


def record_batch_outcome(
    session: Session,
    job_id: str,
    kind: BatchKind,
    index: int,
    *,
    processed: int = 0,
    failed: int = 0,
    skipped: int = 0,
    deleted: int = 0,
    embeddings: int = 0,
    error: str | None = None,
) -> bool:
    """Record what batch ``index`` of the job did and add it to the job's counters.

    Counts once per ``(job, kind, index)``: a retried or duplicated batch returns False and
    changes nothing. The batch row and the counter increments (one ``UPDATE ... SET n = n +
    :k``) are written in the caller's transaction, so they commit together and concurrent
    batch workers never lose an update. ``error`` marks the whole batch failed; its items
    should then be counted in ``failed``. A batch never registered is registered here.
    """
    counts = (processed, failed, skipped, deleted, embeddings)
    if any(count < 0 for count in counts):
        raise ValueError("batch counts cannot be negative")
    now = utcnow()
    status = BatchStatus.COMPLETED if error is None else BatchStatus.FAILED
    outcome: dict[str, Any] = {
        "status": status,
        "processed": processed,
        "failed": failed,
        "skipped": skipped,
        "deleted": deleted,
        "embeddings": embeddings,
        "error": error,
        "finished_at": now,
    }
    increments = {
        f"{kind.value}_processed": processed,
        f"{kind.value}_failed": failed,
        f"{kind.value}_skipped": skipped,
        f"{kind.value}_deleted": deleted,
        "embeddings_created": embeddings,
        f"batches_{status.value}": 1,
    }
    # Only the transaction that moves the row out of pending may count it; on PostgreSQL a
    # concurrent one blocks on the row lock, then sees it is no longer pending.
    settled = session.scalar(
        update(JobBatch)
        .where(
            JobBatch.job_id == job_id,
            JobBatch.kind == kind,
            JobBatch.batch_index == index,
            JobBatch.status == BatchStatus.PENDING,
        )
        .values(outcome)
        .returning(JobBatch.batch_index)
    )
    if settled is None:
        _ensure_job_exists(session, job_id)
        item_count = processed + failed + skipped + deleted
        inserted = session.scalar(
            upsert_into(session, JobBatch)
            .values(
                job_id=job_id,
                kind=kind,
                batch_index=index,
                item_count=item_count,
                created_at=now,
                **outcome,
            )
            .on_conflict_do_nothing(
                index_elements=[JobBatch.job_id, JobBatch.kind, JobBatch.batch_index]
            )
            .returning(JobBatch.batch_index)
        )
        if inserted is None:
            return False
        for column, amount in _registration_increments(kind, 1, item_count).items():
            increments[column] = increments.get(column, 0) + amount
    _add_to_job(session, job_id, increments)
    return True


def job_progress(session: Session, job_id: str) -> JobProgress:
    """Batch counts of the job per kind and status, read from the batch rows."""
    rows = session.execute(
        select(
            JobBatch.kind,
            JobBatch.status,
            func.count(),
            func.sum(JobBatch.item_count),
            func.sum(JobBatch.processed),
            func.sum(JobBatch.failed),
            func.sum(JobBatch.skipped),
            func.sum(JobBatch.deleted),
            func.sum(JobBatch.embeddings),
        )
        .where(JobBatch.job_id == job_id)
        .group_by(JobBatch.kind, JobBatch.status)
    ).all()
    totals: dict[BatchKind, dict[str, int]] = {kind: {} for kind in BatchKind}
    for kind, status, batches, items, processed, failed, skipped, deleted, embeddings in rows:
        kind_totals = totals[kind]
        for name, value in (
            ("batches_total", batches),
            (f"batches_{status.value}", batches),
            ("items_total", items),
            ("items_processed", processed),
            ("items_failed", failed),
            ("items_skipped", skipped),
            ("items_deleted", deleted),
            ("embeddings", embeddings),
        ):
            kind_totals[name] = kind_totals.get(name, 0) + int(value or 0)
    return JobProgress(
        files=BatchProgress(**totals[BatchKind.FILES]),
        documents=BatchProgress(**totals[BatchKind.DOCUMENTS]),
    )


def failed_batches(session: Session, job_id: str) -> list[JobBatch]:
    """The job's batches that failed, files first, in order."""
    return list(
        session.scalars(
            select(JobBatch)
            .where(JobBatch.job_id == job_id, JobBatch.status == BatchStatus.FAILED)
            .order_by(JobBatch.kind, JobBatch.batch_index)
        )
    )


def _ensure_job_exists(session: Session, job_id: str) -> None:
    if session.scalar(select(Job.id).where(Job.id == job_id)) is None:
        raise JobNotFoundError(job_id)


def _registration_increments(kind: BatchKind, batches: int, items: int) -> dict[str, int]:
    return {"batches_total": batches, f"{kind.value}_total": items}


def _add_to_job(session: Session, job_id: str, increments: dict[str, int]) -> None:
    """Add to the job's counters in one UPDATE evaluated by the database, never in Python."""
    columns = Job.__table__.c
    values: dict[str, ColumnElement[int]] = {
        name: columns[name] + amount for name, amount in increments.items() if amount
    }
    if values:
        session.execute(update(Job).where(Job.id == job_id).values(values))


def batch_items(session: Session, job_id: str, kind: BatchKind, index: int) -> list[Any]:
    """The work registered for one batch (empty when none was stored)."""
    items = session.scalar(
        select(JobBatch.items).where(
            JobBatch.job_id == job_id, JobBatch.kind == kind, JobBatch.batch_index == index
        )
    )
    return list(items or [])
