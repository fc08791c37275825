"""What the CLI and the HTTP API both do: add sources, request syncs, read jobs, search."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sourcesync import db
from sourcesync.events import SyncRequested
from sourcesync.stores import SearchHit
from sourcesync.workflows.metrics import job_metrics
from sourcesync.workflows.services import Services
from sourcesync.workflows.store_ensure import namespace_for

SNIPPET_CHARS = 240


def workspace_id(services: Services) -> str:
    """The CLI's workspace, created on first use."""
    with services.transaction() as session:
        name = services.settings.workspace
        return db.ensure_workspace(session, name, workspace_id=name).id


def add_git_source(
    services: Services,
    path: Path,
    *,
    name: str | None,
    branch: str | None,
    include: list[str],
    exclude: list[str],
) -> db.Source:
    """Register a local repository (checked to be one) as a source."""
    from sourcesync.connectors.git import GitRepository

    repository = GitRepository(path.resolve())
    repository.validate(branch)
    config: dict[str, Any] = {"path": str(path.resolve())}
    if branch:
        config["branch"] = branch
    if include:
        config["include"] = include
    if exclude:
        config["exclude"] = exclude
    with services.transaction() as session:
        return db.add_source(
            session,
            workspace_id(services),
            name=name or path.resolve().name,
            type=db.SourceType.GIT,
            config=config,
        )


def queue_sync(
    services: Services, source_ref: str, *, full: bool, trigger: str
) -> tuple[db.Job, SyncRequested]:
    """Create a queued job and the event that starts it (sent by the caller)."""
    ws = workspace_id(services)
    with services.transaction() as session:
        source = db.require_source(session, ws, source_ref)
        mode = db.SyncMode.FULL if full or source.cursor is None else db.SyncMode.INCREMENTAL
        job = db.create_job(
            session,
            workspace_id=ws,
            source_id=source.id,
            trigger=db.JobTrigger(trigger),
            mode=mode,
        )
        event = SyncRequested(
            workspace_id=ws,
            source_id=source.id,
            source_type=str(source.type),  # type: ignore[arg-type]
            mode=str(mode),  # type: ignore[arg-type]
            trigger=trigger,  # type: ignore[arg-type]
            job_id=job.id,
        )
    return job, event


def job_view(services: Services, job_ref: str) -> dict[str, Any]:
    """A job with its metrics, counters, timings and per-document errors."""
    with services.transaction() as session:
        job = db.require_job(session, job_ref)
        failures = db.list_failures(session, job.id)
        source = db.get_source(session, job.workspace_id, job.source_id)
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
        "batches": {"total": job.batches_total, "completed": job.batches_completed},
        "failures": [
            {"documentId": f.document_id, "stage": str(f.stage), "message": f.message}
            for f in failures
        ],
    }


@dataclass(frozen=True)
class Hit:
    title: str | None
    location: str | None
    score: float
    snippet: str
    source: str
    document_id: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


async def search(
    services: Services, query: str, *, k: int = 5, source_ref: str | None = None
) -> list[Hit]:
    """The ``k`` chunks nearest to ``query`` in the workspace, best first."""
    ws = await services.in_thread(workspace_id, services)
    source_id = None
    names: dict[str, str] = {}
    with services.transaction() as session:
        for source in db.list_sources(session, ws):
            names[source.id] = source.name
        if source_ref:
            source_id = db.require_source(session, ws, source_ref).id
    namespace = namespace_for(ws, services.embedder.model_name)
    [vector] = await services.embedder.embed([query])
    try:
        hits: list[SearchHit] = await services.vectors.query(
            namespace, ws, vector, k, source_id=source_id
        )
    except LookupError:
        return []
    return [
        Hit(
            title=hit.title,
            location=hit.path or hit.url,
            score=round(hit.score, 4),
            snippet=" ".join(hit.text.split())[:SNIPPET_CHARS],
            source=names.get(hit.source_id, hit.source_id),
            document_id=hit.document_id,
        )
        for hit in hits
    ]
