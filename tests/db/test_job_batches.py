from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.orm import Session, sessionmaker

from sourcesync.db import (
    BatchKind,
    BatchProgress,
    BatchStatus,
    Job,
    JobBatch,
    JobNotFoundError,
    JobProgress,
    get_job,
    job_progress,
    record_batch_outcome,
    register_batches,
    require_job_active,
)


def _job(sessions: sessionmaker[Session], job_id: str) -> Job:
    with sessions() as session:
        job = get_job(session, job_id)
    assert job is not None
    return job


def test_registered_batches_are_pending_until_their_outcome_is_recorded(
    sessions: sessionmaker[Session], job: Job
) -> None:
    with sessions.begin() as session:
        assert register_batches(session, job.id, BatchKind.FILES, [50, 50, 7]) == 3
        assert register_batches(session, job.id, BatchKind.FILES, [50, 50, 7]) == 0
        assert register_batches(session, job.id, BatchKind.DOCUMENTS, [10], first_index=4) == 1
    with sessions() as session:
        progress = job_progress(session, job.id)
    assert progress.files == BatchProgress(batches_total=3, batches_pending=3, items_total=107)
    assert not progress.files.finished
    assert progress.of(BatchKind.DOCUMENTS).batches_pending == 1

    with sessions.begin() as session:
        for index, processed in enumerate((48, 50, 7)):
            record_batch_outcome(
                session,
                job.id,
                BatchKind.FILES,
                index,
                processed=processed,
                failed=2 if index == 0 else 0,
                embeddings=processed * 3,
            )
        record_batch_outcome(session, job.id, BatchKind.DOCUMENTS, 4, skipped=9, deleted=1)
    with sessions() as session:
        progress = job_progress(session, job.id)
        batch = session.get(JobBatch, (job.id, BatchKind.FILES, 0))
    assert progress == JobProgress(
        files=BatchProgress(
            batches_total=3,
            batches_completed=3,
            items_total=107,
            items_processed=105,
            items_failed=2,
            embeddings=315,
        ),
        documents=BatchProgress(
            batches_total=1,
            batches_completed=1,
            items_total=10,
            items_skipped=9,
            items_deleted=1,
        ),
    )
    assert progress.files.finished
    assert batch is not None
    assert (batch.status, batch.item_count, batch.processed, batch.failed) == (
        BatchStatus.COMPLETED,
        50,
        48,
        2,
    )
    assert batch.finished_at is not None

    stored = _job(sessions, job.id)
    assert (stored.files_total, stored.files_processed, stored.files_failed) == (107, 105, 2)
    assert (stored.documents_total, stored.documents_skipped, stored.documents_deleted) == (
        10,
        9,
        1,
    )
    assert (stored.embeddings_created, stored.batches_total, stored.batches_completed) == (
        315,
        4,
        4,
    )


def test_recording_the_same_batch_twice_counts_once(
    sessions: sessionmaker[Session], job: Job
) -> None:
    with sessions.begin() as session:
        register_batches(session, job.id, BatchKind.FILES, [50])
        assert record_batch_outcome(session, job.id, BatchKind.FILES, 0, processed=50)
    with sessions.begin() as session:
        assert not record_batch_outcome(session, job.id, BatchKind.FILES, 0, processed=50)
        assert not record_batch_outcome(session, job.id, BatchKind.FILES, 0, failed=50, error="x")
    stored = _job(sessions, job.id)
    assert (stored.files_processed, stored.files_failed, stored.batches_completed) == (50, 0, 1)


def test_an_unregistered_batch_is_registered_by_its_outcome(
    sessions: sessionmaker[Session], job: Job
) -> None:
    with sessions.begin() as session:
        assert record_batch_outcome(session, job.id, BatchKind.DOCUMENTS, 9, processed=3, failed=1)
        assert not record_batch_outcome(session, job.id, BatchKind.DOCUMENTS, 9, processed=3)
        progress = job_progress(session, job.id).documents
    assert (progress.batches_total, progress.items_total, progress.items_processed) == (1, 4, 3)
    stored = _job(sessions, job.id)
    assert (stored.batches_total, stored.documents_total, stored.documents_failed) == (1, 4, 1)


def test_a_failed_batch_is_counted_as_failed(sessions: sessionmaker[Session], job: Job) -> None:
    with sessions.begin() as session:
        register_batches(session, job.id, BatchKind.FILES, [50, 50])
        record_batch_outcome(session, job.id, BatchKind.FILES, 0, processed=50)
        record_batch_outcome(session, job.id, BatchKind.FILES, 1, failed=50, error="timeout")
    with sessions() as session:
        progress = job_progress(session, job.id).files
        batch = session.get(JobBatch, (job.id, BatchKind.FILES, 1))
    assert (progress.batches_completed, progress.batches_failed, progress.finished) == (1, 1, True)
    assert batch is not None
    assert (batch.status, batch.error) == (BatchStatus.FAILED, "timeout")
    stored = _job(sessions, job.id)
    assert (stored.batches_completed, stored.batches_failed, stored.files_failed) == (1, 1, 50)


def test_negative_counts_are_refused(sessions: sessionmaker[Session], job: Job) -> None:
    with sessions.begin() as session:
        with pytest.raises(ValueError, match="negative"):
            record_batch_outcome(session, job.id, BatchKind.FILES, 0, processed=-1)
        with pytest.raises(ValueError, match="negative"):
            register_batches(session, job.id, BatchKind.FILES, [3, -1])


def test_batches_of_an_unknown_job_are_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        with pytest.raises(JobNotFoundError, match="job_missing"):
            register_batches(session, "job_missing", BatchKind.FILES, [1])
        with pytest.raises(JobNotFoundError, match="job_missing"):
            record_batch_outcome(session, "job_missing", BatchKind.FILES, 0, processed=1)


def test_many_batches_register_in_chunks(sessions: sessionmaker[Session], job: Job) -> None:
    with sessions.begin() as session:
        assert register_batches(session, job.id, BatchKind.FILES, [50] * 1234) == 1234
        assert register_batches(session, job.id, BatchKind.FILES, [50] * 1240) == 6
    stored = _job(sessions, job.id)
    assert (stored.batches_total, stored.files_total) == (1240, 62_000)


THREADS = 20
BATCHES_PER_THREAD = 10


def test_concurrent_batch_workers_never_lose_an_update(
    sessions: sessionmaker[Session], job: Job
) -> None:
    barrier = threading.Barrier(THREADS)

    def worker(thread: int) -> None:
        barrier.wait()
        for offset in range(BATCHES_PER_THREAD):
            with sessions.begin() as session:
                # Read before writing, as a fan-in step does: on SQLite this is the
                # transaction shape that fails with "database is locked" unless writers
                # queue from the start of their transaction.
                job_progress(session, job.id)
                recorded = record_batch_outcome(
                    session,
                    job.id,
                    BatchKind.FILES,
                    thread * BATCHES_PER_THREAD + offset,
                    processed=7,
                    failed=1,
                    skipped=2,
                    deleted=1,
                    embeddings=11,
                )
                assert recorded

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(worker, range(THREADS)))

    batches = THREADS * BATCHES_PER_THREAD
    stored = _job(sessions, job.id)
    assert (
        stored.files_processed,
        stored.files_failed,
        stored.files_skipped,
        stored.files_deleted,
        stored.embeddings_created,
        stored.batches_completed,
        stored.batches_total,
        stored.files_total,
    ) == (7 * batches, batches, 2 * batches, batches, 11 * batches, batches, batches, 11 * batches)
    with sessions() as session:
        progress = job_progress(session, job.id).files
    assert (progress.batches_completed, progress.items_processed) == (batches, 7 * batches)


@pytest.mark.parametrize("registered", [True, False], ids=["registered", "unregistered"])
def test_racing_duplicates_of_a_batch_count_once(
    sessions: sessionmaker[Session], job: Job, registered: bool
) -> None:
    batches, racers = 25, 8
    if registered:
        with sessions.begin() as session:
            register_batches(session, job.id, BatchKind.DOCUMENTS, [5] * batches)
    barrier = threading.Barrier(racers)

    def racer(seed: int) -> int:
        order = list(range(batches))
        random.Random(seed).shuffle(order)
        barrier.wait()
        counted = 0
        for index in order:
            with sessions.begin() as session:
                counted += record_batch_outcome(
                    session, job.id, BatchKind.DOCUMENTS, index, processed=4, failed=1
                )
        return counted

    with ThreadPoolExecutor(racers) as pool:
        counted = sum(pool.map(racer, range(racers)))

    assert counted == batches
    stored = _job(sessions, job.id)
    assert (stored.documents_processed, stored.documents_failed) == (4 * batches, batches)
    assert (stored.batches_completed, stored.batches_total, stored.documents_total) == (
        batches,
        batches,
        5 * batches,
    )


def test_batch_workers_recording_at_once_do_not_deadlock(
    sessions: sessionmaker[Session], job: Job
) -> None:
    """Each holds the job's row from its check to its counters: on PostgreSQL, two that
    held it shared and then both updated it would deadlock, and one would fail."""
    checked = threading.Event()
    errors: list[BaseException] = []

    def record(index: int) -> None:
        try:
            if index == 1:
                checked.wait(5)
            with sessions.begin() as session:
                require_job_active(session, job.id, updating_job=True)
                if index == 0:
                    checked.set()
                    time.sleep(0.3)  # the other one checks meanwhile
                record_batch_outcome(session, job.id, BatchKind.FILES, index, processed=1)
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=record, args=(index,)) for index in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)

    assert errors == []
    with sessions.begin() as session:
        assert session.get(Job, job.id).files_processed == 2  # type: ignore[union-attr]
