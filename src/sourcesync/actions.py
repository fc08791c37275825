"""What the CLI and the HTTP API both do: add sources, request syncs, read jobs, search."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sourcesync import db
from sourcesync.events import SyncRequested
from sourcesync.workflows.metrics import job_metrics
from sourcesync.workflows.services import Services

SNIPPET_CHARS = 240
log = logging.getLogger("sourcesync.search")


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


def _add_validated_source(
    services: Services, *, name: str, type: db.SourceType, config: dict[str, Any]
) -> db.Source:
    """Add a source once its connector has read it successfully (token, repo, teams)."""
    from sourcesync.workflows.sources import validate_source

    workspace = workspace_id(services)
    probe = db.Source(id="probe", workspace_id=workspace, name=name, type=type, config=config)
    validate_source(probe, services.settings)
    with services.transaction() as session:
        return db.add_source(session, workspace, name=name, type=type, config=config)


def add_github_source(
    services: Services,
    repository: str,
    *,
    name: str | None = None,
    branch: str | None = None,
    token_env: str | None = None,
    app_id: str | None = None,
    private_key_file: str | None = None,
    private_key_env: str | None = None,
    installation_id: int | None = None,
    webhook_secret_env: str | None = None,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
) -> db.Source:
    """Register a GitHub repository; credentials are named (env var, key file), never stored."""
    config: dict[str, Any] = {"repository": repository}
    optional = {
        "branch": branch,
        "token_env": token_env,
        "app_id": app_id,
        "private_key_file": private_key_file,
        "private_key_env": private_key_env,
        "installation_id": installation_id,
        "webhook_secret_env": webhook_secret_env,
        "include": include,
        "exclude": exclude,
    }
    config |= {key: value for key, value in optional.items() if value}
    return _add_validated_source(
        services,
        name=name or repository.rsplit("/", maxsplit=1)[-1],
        type=db.SourceType.GITHUB,
        config=config,
    )


def add_linear_source(
    services: Services,
    *,
    name: str = "linear",
    teams: list[str] | None = None,
    token_env: str = "LINEAR_API_KEY",
    oauth: bool = False,
    webhook_secret_env: str | None = None,
) -> db.Source:
    """Register a Linear workspace (optionally some teams) as a source."""
    config: dict[str, Any] = {"token_env": token_env, "token_kind": "oauth" if oauth else "api_key"}
    if teams:
        config["teams"] = teams
    if webhook_secret_env:
        config["webhook_secret_env"] = webhook_secret_env
    return _add_validated_source(services, name=name, type=db.SourceType.LINEAR, config=config)


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
    """One file in the results, shown by its best chunk."""

    title: str | None
    location: str | None
    score: float
    snippet: str
    source: str
    document_id: str
    lines: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


async def search(
    services: Services,
    query: str,
    *,
    k: int = 5,
    source_ref: str | None = None,
    source_type: str | None = None,
    path_glob: str | None = None,
    mode: str = "hybrid",
) -> list[Hit]:
    """The ``k`` files of the workspace that best answer ``query``, best first.

    Hybrid (vector and keyword) ranking by default; see ``sourcesync.search``.
    """
    from sourcesync.search import SearchMode
    from sourcesync.search.workspace_search import StoreRef, search_workspace
    from sourcesync.stores import ChunkFilter

    ws = await services.in_thread(workspace_id, services)
    source_id = None
    with services.reading() as session:
        names = {source.id: source.name for source in db.list_sources(session, ws)}
        if source_ref:
            source_id = db.require_source(session, ws, source_ref).id
        stores = [
            StoreRef(store.namespace, store.embedding_model)
            for store in reversed(db.list_stores(session, ws))
        ]
    results = await search_workspace(
        services.vectors,
        services.embedder,
        ws,
        query,
        stores=stores,
        k=k,
        mode=SearchMode(mode),
        where=ChunkFilter(source_id=source_id, source_type=source_type, path_glob=path_glob),
    )
    if results.note:
        log.warning(results.note)
    hits = []
    for file in results.files:
        best = file.best
        start, end = best.metadata.get("start_line"), best.metadata.get("end_line")
        hits.append(
            Hit(
                title=best.title,
                location=best.path or best.url,
                score=round(file.score, 4),
                snippet=" ".join(best.text.split())[:SNIPPET_CHARS],
                source=names.get(best.source_id, best.source_id),
                document_id=file.document_id,
                lines=f"{start}-{end}" if start is not None and end is not None else None,
            )
        )
    return hits
