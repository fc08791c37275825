"""``sourcesync sync``, ``cancel``, ``jobs`` and ``job``: syncs and what they did."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.markup import escape

from .cli_support import (
    EXIT_CODES,
    STATUS_COLOURS,
    JsonOption,
    console,
    deliver,
    fail,
    open_services,
    print_job,
    print_json,
    run_and_watch,
)


def sync(
    source: Annotated[str, typer.Argument(help="Source name or id.")],
    full: Annotated[
        bool, typer.Option("--full", help="Sync every file, not just changes.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Sync a source and show its progress; exit 0 completed, 1 with errors, 2 failed."""
    from . import actions, db

    services = open_services()
    try:
        job, event = actions.queue_sync(services, source, full=full, trigger="cli")
    except db.SourceNotFoundError as exc:
        raise fail(f"{exc}; see `sourcesync sources list`") from exc
    view = asyncio.run(run_and_watch(services, job.id, event, quiet=as_json))
    if as_json:
        print_json(
            {key: view[key] for key in ("jobId", "status", "metrics", "durationMs", "error")}
        )
    else:
        print_job(view)
    raise typer.Exit(EXIT_CODES.get(view["status"], 2))


def cancel(job_id: Annotated[str, typer.Argument(help="Job id.")]) -> None:
    """Cancel a queued or running sync: its runs stop and nothing more is committed."""
    from . import actions, db

    services = open_services()
    try:
        job, event = actions.cancel_job(services, job_id)
    except db.JobNotFoundError as exc:
        raise fail(str(exc)) from exc
    except actions.JobEndedError as exc:
        raise fail(str(exc), code=1) from exc
    asyncio.run(deliver(services, [event]))
    console.print(f"Cancelled job [bold]{job.id}[/bold]")


def jobs(
    source: Annotated[str | None, typer.Option(help="Only this source's jobs.")] = None,
    limit: Annotated[int, typer.Option(help="How many.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """List recent sync jobs, newest first."""
    from . import actions, db

    services = open_services(database_only=True)
    workspace = actions.workspace_id(services)
    with services.transaction() as session:
        try:
            source_id = db.require_source(session, workspace, source).id if source else None
        except db.SourceNotFoundError as exc:
            raise fail(str(exc)) from exc
        ids = [j.id for j in db.list_jobs(session, workspace, source_id=source_id, limit=limit)]
    views = [actions.job_view(services, job_id) for job_id in ids]
    if as_json:
        print_json(views)
        return
    if not views:
        console.print("No jobs yet: `sourcesync sync SOURCE` runs one.")
    for v in views:
        m = v["metrics"]
        colour = STATUS_COLOURS.get(v["status"], "red")
        took = "" if v["durationMs"] is None else f"  {v['durationMs'] / 1000:.1f} s"
        when = v["createdAt"][:16].replace("T", " ")
        console.print(f"[bold]{v['jobId']}[/bold]  [{colour}]{v['status']}[/{colour}]{took}")
        console.print(f"    [dim]{escape(v['source'])}, {v['mode']}, {v['trigger']}, {when}[/dim]")
        console.print(
            f"    files {m['filesProcessed']} processed · {m['filesFailed']} failed · "
            f"{m['filesSkipped']} skipped · {m['filesDeleted']} deleted · "
            f"{m['embeddingsCreated']} chunks"
        )


def job(
    job_id: Annotated[str, typer.Argument(help="Job id.")], as_json: JsonOption = False
) -> None:
    """Show one job: metrics, timings and per-document errors."""
    from . import actions, db

    services = open_services(database_only=True)
    try:
        view = actions.job_view(services, job_id)
    except db.JobNotFoundError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        print_json(view)
        return
    print_job(view)
    console.print(
        f"created {view['createdAt']}, started {view['startedAt']}, finished {view['finishedAt']}"
    )
