from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from sourcesync.db import (
    BatchKind,
    FailureStage,
    Job,
    JobNotFoundError,
    JobStatus,
    JobTrigger,
    Source,
    SyncMode,
    add_source,
    create_job,
    get_job,
    list_jobs,
    mark_job_finished,
    mark_job_running,
    record_batch_outcome,
    record_document_failure,
)


def _new_job(session: Session, source: Source, job_id: str | None = None) -> Job:
    return create_job(
        session,
        workspace_id=source.workspace_id,
        source_id=source.id,
        trigger=JobTrigger.WEBHOOK,
        mode=SyncMode.INCREMENTAL,
        input={"ref": "main"},
        job_id=job_id,
    )


def test_a_job_goes_from_queued_to_running_to_completed(
    sessions: sessionmaker[Session], source: Source
) -> None:
    with sessions.begin() as session:
        job = _new_job(session, source)
    assert (job.status, job.started_at, job.finished_at) == (JobStatus.QUEUED, None, None)
    assert (job.trigger, job.mode, job.input) == (
        JobTrigger.WEBHOOK,
        SyncMode.INCREMENTAL,
        {"ref": "main"},
    )
    assert job.files_processed == job.batches_total == 0

    with sessions.begin() as session:
        running = mark_job_running(session, job.id, inngest_run_id="01HRUN")
    with sessions.begin() as session:
        rerun = mark_job_running(session, job.id)
    assert running.status is rerun.status is JobStatus.RUNNING
    assert running.started_at is not None
    assert rerun.started_at == running.started_at
    assert rerun.inngest_run_id == "01HRUN"

    with sessions.begin() as session:
        finished = mark_job_finished(session, job.id, JobStatus.COMPLETED)
    with sessions() as session:
        stored = get_job(session, job.id)
    assert stored is not None
    assert stored.status is finished.status is JobStatus.COMPLETED
    assert stored.error is None
    assert stored.started_at is not None
    assert stored.finished_at is not None
    assert stored.finished_at >= stored.started_at
    elapsed = stored.finished_at - stored.started_at
    assert stored.duration_ms == int(elapsed.total_seconds() * 1000)


def test_the_first_terminal_status_wins(sessions: sessionmaker[Session], job: Job) -> None:
    with sessions.begin() as session:
        mark_job_finished(session, job.id, JobStatus.CANCELLED, error="cancelled by user")
    with sessions.begin() as session:
        assert mark_job_running(session, job.id).status is JobStatus.CANCELLED
        after = mark_job_finished(session, job.id, JobStatus.FAILED, error="late failure")
    assert after.status is JobStatus.CANCELLED
    assert after.error == "cancelled by user"
    assert after.duration_ms is not None


def test_a_job_cannot_finish_with_a_running_status(
    sessions: sessionmaker[Session], job: Job
) -> None:
    with pytest.raises(ValueError, match="terminal"), sessions.begin() as session:
        mark_job_finished(session, job.id, JobStatus.RUNNING)


def test_a_failed_job_keeps_its_error(sessions: sessionmaker[Session], job: Job) -> None:
    with sessions.begin() as session:
        mark_job_running(session, job.id)
        failed = mark_job_finished(session, job.id, JobStatus.FAILED, error="bad credentials")
    assert (failed.status, failed.error) == (JobStatus.FAILED, "bad credentials")


def test_a_job_with_a_failed_document_completes_with_errors(
    sessions: sessionmaker[Session], job: Job
) -> None:
    with sessions.begin() as session:
        mark_job_running(session, job.id)
        record_document_failure(
            session,
            job_id=job.id,
            workspace_id=job.workspace_id,
            document_id="github:file:acme/docs:broken.md",
            stage=FailureStage.FETCH,
            message="404",
        )
    with sessions.begin() as session:
        finished = mark_job_finished(session, job.id, JobStatus.COMPLETED)
    assert finished.status is JobStatus.COMPLETED_WITH_ERRORS


def test_a_job_with_failed_files_completes_with_errors(
    sessions: sessionmaker[Session], job: Job
) -> None:
    with sessions.begin() as session:
        record_batch_outcome(session, job.id, BatchKind.FILES, 0, processed=49, failed=1)
    with sessions.begin() as session:
        finished = mark_job_finished(session, job.id, JobStatus.COMPLETED)
    assert finished.status is JobStatus.COMPLETED_WITH_ERRORS


def test_creating_a_job_with_a_known_id_returns_that_job(
    sessions: sessionmaker[Session], source: Source
) -> None:
    with sessions.begin() as session:
        first = _new_job(session, source, job_id="job_from_event_1")
        mark_job_running(session, first.id)
    with sessions.begin() as session:
        again = _new_job(session, source, job_id="job_from_event_1")
        count = session.scalar(select(func.count()).select_from(Job))
    assert again.id == first.id
    assert again.status is JobStatus.RUNNING
    assert count == 1


def test_unknown_jobs_are_reported(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert get_job(session, "job_missing") is None
        with pytest.raises(JobNotFoundError, match="job_missing"):
            mark_job_running(session, "job_missing")


def test_jobs_are_listed_newest_first_and_filtered(
    sessions: sessionmaker[Session], source: Source
) -> None:
    with sessions.begin() as session:
        other = add_source(session, source.workspace_id, name="issues", type="linear")
        jobs = [_new_job(session, s) for s in (source, other, source, source)]
        base = datetime(2024, 1, 1, tzinfo=UTC)
        for age, job in enumerate(jobs):
            session.execute(
                update(Job).where(Job.id == job.id).values(created_at=base + timedelta(minutes=age))
            )
        mark_job_finished(session, jobs[2].id, JobStatus.FAILED, error="boom")
    ids = [job.id for job in jobs]

    with sessions() as session:
        workspace = source.workspace_id
        assert [j.id for j in list_jobs(session, workspace)] == ids[::-1]
        assert [j.id for j in list_jobs(session, workspace, limit=2)] == [ids[3], ids[2]]
        assert [j.id for j in list_jobs(session, workspace, source_id=source.id)] == [
            ids[3],
            ids[2],
            ids[0],
        ]
        assert [j.id for j in list_jobs(session, workspace, status=JobStatus.FAILED)] == [ids[2]]
        queued_of_source = list_jobs(
            session, workspace, source_id=source.id, status=JobStatus.QUEUED
        )
        assert [j.id for j in queued_of_source] == [ids[3], ids[0]]
        assert list_jobs(session, "another-workspace") == []
