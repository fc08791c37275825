"""What the CLI and the HTTP API both do: add sources, request syncs, read jobs (search is
in `search_hits`)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sourcesync import db
from sourcesync.db.column_types import utcnow
from sourcesync.events import SourceConnected, SyncCancel, SyncRequested
from sourcesync.workflows.metrics import job_metrics
from sourcesync.workflows.stalls import stall_message

if TYPE_CHECKING:
    from sourcesync.workflows.services import Services

# What only some actions need (source specs, schedules, stores, code links) is imported in
# them: `sourcesync jobs` and `job` start with none of it.


def workspace_id(services: Services, workspace: str | None = None) -> str:
    """``workspace`` when given (an API token's), else the CLI's, created on first use."""
    if workspace is not None:
        return workspace
    with services.transaction() as session:
        name = services.settings.workspace
        return db.ensure_workspace(session, name, workspace_id=name).id


def add_source(
    services: Services,
    source_type: str,
    config: Mapping[str, Any],
    *,
    name: str | None = None,
    schedule: str | None = None,
    validate: bool = True,
    workspace: str | None = None,
) -> db.Source:
    """Register a source of a registered type once its connector has read it.

    ``config`` is checked against the type's ``Config`` (``pydantic.ValidationError``
    names the bad fields); the connector then checks access (``SourceConfigError`` says
    what to fix). ``schedule`` (``1h``, or a cron expression) runs incremental syncs.
    """
    from sourcesync.connectors.registry import get_spec
    from sourcesync.workflows.schedules import next_run, validate_schedule
    from sourcesync.workflows.sources import validate_source

    spec = get_spec(source_type)
    parsed = spec.parse_config(config)
    stored = parsed.model_dump(mode="json", exclude_none=True)
    when = validate_schedule(schedule) if schedule else None
    workspace = workspace_id(services, workspace)
    name = name or spec.default_name(parsed)
    if validate:
        probe = db.Source(
            id="probe", workspace_id=workspace, name=name, type=spec.type, config=stored
        )
        validate_source(probe, services.settings)
    with services.transaction() as session:
        return db.add_source(
            session,
            workspace,
            name=name,
            type=spec.type,
            config=stored,
            schedule=when,
            next_sync_at=next_run(when, utcnow()) if when else None,
        )


class SourceBusyError(Exception):
    """The source has a sync queued or running."""


@dataclass(frozen=True)
class Removal:
    """A removed source and the jobs of it that were cancelled (send their cancel events)."""

    source: db.Source
    cancelled: list[SyncCancel]


async def remove_source(
    services: Services, source_ref: str, *, force: bool = False, workspace: str | None = None
) -> Removal:
    """Remove a source: its documents, their content and vectors go; its jobs stay.

    A source with a sync queued or running is refused (``SourceBusyError``) unless
    ``force``, which cancels those jobs first.
    """
    from sourcesync.stores.namespaces import namespace_for

    ws = await services.in_thread(workspace_id, services, workspace)

    def remove() -> tuple[db.Source, dict[str, int], list[str]]:
        with services.transaction() as session:
            source = db.require_source(session, ws, source_ref)
            active = db.active_jobs(session, source.id)
            if active and not force:
                raise SourceBusyError(
                    f"source {source.name!r} has a sync in progress (job {active[0].id}); "
                    "wait for it, or remove with --force to cancel it"
                )
            for job in active:
                db.mark_job_finished(
                    session, job.id, db.JobStatus.CANCELLED, error="the source was removed"
                )
            return source, db.remove_source(session, source), [job.id for job in active]

    source, document_ids, cancelled = await services.in_thread(remove)
    # The rows' chunk counts are those of the current model's store; a previous model's
    # store (chunked by another tokenizer) has its chunks found by the store itself.
    current = namespace_for(ws, services.embedder.model_name)
    for store in await services.in_thread(_stores, services, ws):
        with contextlib.suppress(LookupError):
            await services.vectors.delete_documents(
                store,
                ws,
                list(document_ids),
                chunk_counts=document_ids if store == current else None,
            )
    return Removal(source, [SyncCancel(job_id=job_id) for job_id in cancelled])


def _stores(services: Services, ws: str) -> list[str]:
    with services.reading() as session:
        return [store.namespace for store in db.list_stores(session, ws)]


def source_view(services: Services, source: db.Source) -> dict[str, Any]:
    """A source as users see it: config (names of secrets, never values), cursor, schedule
    and its last job."""
    from sourcesync.connectors.registry import get_spec

    with services.reading() as session:
        jobs = db.list_jobs(session, source.workspace_id, source_id=source.id, limit=1)
        documents = db.count_documents(session, source.workspace_id, source.id)
    spec = get_spec(source.type)
    try:
        location = spec.location(spec.parse_config(source.config))
    except ValueError:
        location = "(configuration unreadable)"
    return {
        "id": source.id,
        "name": source.name,
        "type": source.type,
        "location": location,
        "config": source.config,
        "cursor": source.cursor,
        "schedule": source.schedule,
        "nextSyncAt": source.next_sync_at.isoformat() if source.next_sync_at else None,
        "lastSyncedAt": source.last_synced_at.isoformat() if source.last_synced_at else None,
        "documents": documents,
        "lastJob": next(
            (
                {"jobId": j.id, "status": str(j.status), "createdAt": j.created_at.isoformat()}
                for j in jobs
            ),
            None,
        ),
    }


LOCAL_TOKEN_FILE = "api-token"


def local_api_token(services: Services) -> str:
    """This machine's token for its own API (the CLI's workspace), made on first use and
    kept in ``SOURCESYNC_HOME/api-token`` (mode 0600); the database keeps its hash only."""
    path = services.settings.home / LOCAL_TOKEN_FILE
    with services.transaction() as session:
        if path.exists():
            secret = path.read_text().strip()
            if db.authenticate_token(session, secret) is not None:
                return secret
        workspace = workspace_id(services)
        _, secret = db.create_token(session, workspace, f"local ({path})", kind=db.TokenKind.LOCAL)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secret + "\n")
    return secret


def connect_source(services: Services, source: db.Source) -> tuple[db.Job, SourceConnected]:
    """A queued first (full) sync of a new source and the ``source.connected`` event that
    starts it (sent by the caller)."""
    with services.transaction() as session:
        job = db.create_job(
            session,
            workspace_id=source.workspace_id,
            source_id=source.id,
            trigger=db.JobTrigger.SOURCE_CONNECTED,
            mode=db.SyncMode.FULL,
        )
    event = SourceConnected(
        workspace_id=source.workspace_id,
        source_id=source.id,
        source_type=source.type,
        job_id=job.id,
    )
    return job, event


def queue_sync(
    services: Services,
    source_ref: str,
    *,
    full: bool,
    trigger: str,
    workspace: str | None = None,
) -> tuple[db.Job, SyncRequested]:
    """A queued job and the event that starts it (sent by the caller).

    One sync per source: when the source already has a queued job (waiting behind its
    running sync), the request joins it (made full if ``full``) instead of queueing another.
    """
    ws = workspace_id(services, workspace)
    with services.transaction() as session:
        source = db.require_source(session, ws, source_ref)
        mode = db.SyncMode.FULL if full or source.cursor is None else db.SyncMode.INCREMENTAL
        job = db.next_queued_job(session, source.id)
        if job is None:
            job = db.create_job(
                session,
                workspace_id=ws,
                source_id=source.id,
                trigger=db.JobTrigger(trigger),
                mode=mode,
            )
        elif mode is db.SyncMode.FULL:
            job.mode = db.SyncMode.FULL
        event = SyncRequested.model_validate(
            {
                "workspaceId": ws,
                "sourceId": source.id,
                "sourceType": source.type,
                "mode": str(job.mode),
                "trigger": str(job.trigger),
                "jobId": job.id,
            }
        )
    return job, event


class JobEndedError(Exception):
    """The job has already ended."""


def cancel_job(
    services: Services, job_ref: str, workspace: str | None = None
) -> tuple[db.Job, SyncCancel]:
    """End a queued or running job cancelled, and the event that stops its runs (sent by
    the caller): nothing more is processed or committed for it; its metrics keep what
    was done before."""
    with services.transaction() as session:
        job = db.require_job(session, job_ref, workspace_id=workspace)
        if job.status.is_terminal:
            raise JobEndedError(f"job {job.id} already ended {job.status}")
        job = db.mark_job_finished(
            session, job.id, db.JobStatus.CANCELLED, error="cancelled on request"
        )
    return job, SyncCancel(job_id=job.id)


def job_progress(job: db.Job) -> dict[str, dict[str, int]]:
    """How far a job has come, as ``{done, total}`` pairs (a total of 0 is not known yet).

    Chunks move while a batch is embedded, so progress shows even while one large batch
    takes a while; files, batches and documents move as batches end.
    """
    files_done = job.files_processed + job.files_failed + job.files_skipped + job.files_deleted
    return {
        "files": {"done": files_done, "total": job.files_total},
        "batches": {"done": job.batches_completed, "total": job.batches_total},
        "documents": {
            "done": job.documents_processed + job.documents_failed,
            "total": job.documents_total,
        },
        "chunks": {"done": job.chunks_embedded, "total": job.chunks_total},
    }


def job_view(services: Services, job_ref: str, workspace: str | None = None) -> dict[str, Any]:
    """A job with its metrics, counters, timings and per-document errors (of ``workspace``,
    when given: another workspace's job is not found)."""
    with services.reading() as session:
        job = db.require_job(session, job_ref, workspace_id=workspace)
        failures = db.list_failures(session, job.id)
        source = db.get_source(session, job.workspace_id, job.source_id, removed=True)
    return {
        "jobId": job.id,
        "source": source.name if source else job.source_id,
        "status": str(job.status),
        "mode": str(job.mode),
        "trigger": str(job.trigger),
        "metrics": job_metrics(job).model_dump(by_alias=True),
        "durationMs": job.duration_ms,
        "createdAt": job.created_at.isoformat(),
        "startedAt": job.started_at.isoformat() if job.started_at else None,
        "finishedAt": job.finished_at.isoformat() if job.finished_at else None,
        "error": job.error,
        "stalled": stall_message(job, services.settings.stall_after_seconds),
        "batches": {"total": job.batches_total, "completed": job.batches_completed},
        "progress": job_progress(job),
        "failures": [
            {"documentId": f.document_id, "stage": str(f.stage), "message": f.message}
            for f in failures
        ],
    }
