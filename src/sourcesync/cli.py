"""The ``sourcesync`` command."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .logs import configure_logging

app = typer.Typer(help="Keep a team's knowledge searchable.", no_args_is_help=True)
events_app = typer.Typer(help="Send and inspect events.", no_args_is_help=True)
sources_app = typer.Typer(help="Add and list sources.", no_args_is_help=True)
sources_add = typer.Typer(help="Add a source.", no_args_is_help=True)
app.add_typer(events_app, name="events")
app.add_typer(sources_app, name="sources")
sources_app.add_typer(sources_add, name="add")
console = Console()
errors = Console(stderr=True, soft_wrap=True)

DEFAULT_ENGINE_URL = "http://127.0.0.1:8288"
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
EXIT_CODES = {"completed": 0, "completed_with_errors": 1}
STATUS_COLOURS = {
    "completed": "green",
    "completed_with_errors": "yellow",
    "running": "cyan",
    "queued": "cyan",
}


def fail(message: str, code: int = 2) -> typer.Exit:
    errors.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


@contextlib.contextmanager
def adding_source() -> Iterator[None]:
    """Errors a user can fix while adding a source, said plainly."""
    from . import db
    from .connectors.errors import ConnectorError

    try:
        yield
    except ConnectorError as exc:
        raise fail(str(exc)) from exc
    except db.SourceNameTakenError as exc:
        raise fail(f"{exc} (choose another with --name)") from exc


def open_services() -> Any:
    from .settings import Settings
    from .workflows.services import Services

    return Services.from_settings(Settings())


@app.command()
def engine(
    app_spec: Annotated[
        str | None,
        typer.Option(
            "--app", help="MODULE:ATTR of an ASGI app serving /api/inngest, run in process."
        ),
    ] = None,
    port: Annotated[
        int, typer.Option(help="Port of the event, registration and inspection APIs.")
    ] = 8288,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    state: Annotated[Path, typer.Option(help="SQLite state file (one engine per file).")] = Path(
        ".sourcesync/engine.db"
    ),
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run the embedded Inngest-compatible engine until interrupted."""
    from .engine import EngineConfig, StateLockedError
    from .engine.serve import serve_forever

    configure_logging(log_level)
    config = EngineConfig(
        state_path=str(state),
        host=host,
        port=port,
        signing_key=os.environ.get("INNGEST_SIGNING_KEY") or None,
    )
    try:
        asyncio.run(serve_forever(config, app_spec))
    except StateLockedError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    except (ValueError, ImportError) as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


@events_app.command("send")
def events_send(
    name: Annotated[str, typer.Argument(help="Event name, e.g. apps-console/sync.requested.")],
    data: Annotated[str, typer.Option(help="Event data as a JSON object.")] = "{}",
    engine_url: Annotated[
        str, typer.Option(envvar="INNGEST_EVENT_API_BASE_URL", help="Where events are sent.")
    ] = DEFAULT_ENGINE_URL,
    event_key: Annotated[str, typer.Option(envvar="INNGEST_EVENT_KEY")] = "dev",
) -> None:
    """Send one event to the engine (or Inngest) and print its id."""
    try:
        payload = json.loads(data)
    except ValueError as exc:
        errors.print(f"[red]error:[/red] --data is not valid JSON: {exc}")
        raise typer.Exit(2) from exc
    try:
        response = httpx.post(
            f"{engine_url.rstrip('/')}/e/{event_key}",
            json={"name": name, "data": payload},
            timeout=10,
        )
    except httpx.HTTPError as exc:
        errors.print(f"[red]error:[/red] cannot reach {engine_url}: {exc}")
        raise typer.Exit(2) from exc
    body = response.json()
    if response.status_code != 200:
        errors.print(f"[red]error:[/red] {body.get('error', body)}")
        raise typer.Exit(2)
    for event_id in body["ids"]:
        console.print(event_id)


@sources_add.command("git")
def sources_add_git(
    path: Annotated[Path, typer.Argument(help="A git repository on disk.")],
    name: Annotated[str | None, typer.Option(help="Source name (default: folder name).")] = None,
    branch: Annotated[str | None, typer.Option(help="Branch to sync (default: HEAD).")] = None,
    include: Annotated[list[str] | None, typer.Option(help="Glob of paths to index.")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="Glob of paths to skip.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a local git repository as a source."""
    from . import actions

    services = open_services()
    with adding_source():
        source = actions.add_git_source(
            services, path, name=name, branch=branch, include=include or [], exclude=exclude or []
        )
    _report_added(source, as_json)


@sources_add.command("github")
def sources_add_github(
    repository: Annotated[str, typer.Argument(help="OWNER/REPO.")],
    name: Annotated[str | None, typer.Option(help="Source name (default: REPO).")] = None,
    branch: Annotated[str | None, typer.Option(help="Branch (default: the repo's).")] = None,
    token_env: Annotated[
        str | None, typer.Option(help="NAME of the env var holding a token.")
    ] = "GITHUB_TOKEN",
    app_id: Annotated[str | None, typer.Option(help="Authenticate as this GitHub App.")] = None,
    private_key_file: Annotated[
        str | None, typer.Option(help="The App's private key (PEM) file.")
    ] = None,
    private_key_env: Annotated[
        str | None, typer.Option(help="Or: NAME of the env var holding that key.")
    ] = None,
    installation_id: Annotated[int | None, typer.Option(help="The App's installation.")] = None,
    webhook_secret_env: Annotated[
        str | None, typer.Option(help="NAME of the env var holding the webhook secret.")
    ] = None,
    include: Annotated[list[str] | None, typer.Option(help="Glob of paths to index.")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="Glob of paths to skip.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a GitHub repository as a source (its access is checked first)."""
    from . import actions

    services = open_services()
    with adding_source():
        source = actions.add_github_source(
            services,
            repository,
            name=name,
            branch=branch,
            token_env=None if app_id else token_env,
            app_id=app_id,
            private_key_file=private_key_file,
            private_key_env=private_key_env,
            installation_id=installation_id,
            webhook_secret_env=webhook_secret_env,
            include=include,
            exclude=exclude,
        )
    _report_added(source, as_json)


@sources_add.command("linear")
def sources_add_linear(
    name: Annotated[str, typer.Option(help="Source name.")] = "linear",
    team: Annotated[list[str] | None, typer.Option(help="Team key to sync (default: all).")] = None,
    token_env: Annotated[
        str, typer.Option(help="NAME of the env var holding the API key or OAuth token.")
    ] = "LINEAR_API_KEY",
    oauth: Annotated[bool, typer.Option(help="The variable holds an OAuth token.")] = False,
    webhook_secret_env: Annotated[
        str | None, typer.Option(help="NAME of the env var holding the webhook secret.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a Linear workspace as a source (the key is checked first)."""
    from . import actions

    services = open_services()
    with adding_source():
        source = actions.add_linear_source(
            services,
            name=name,
            teams=team,
            token_env=token_env,
            oauth=oauth,
            webhook_secret_env=webhook_secret_env,
        )
    _report_added(source, as_json)


def _report_added(source: Any, as_json: bool) -> None:
    view = {"id": source.id, "name": source.name, "type": str(source.type), "config": source.config}
    if as_json:
        print_json(view)
    else:
        console.print(f"Added {source.type} source [bold]{source.name}[/bold] ({source.id})")


@sources_app.command("list")
def sources_list(as_json: JsonOption = False) -> None:
    """List the workspace's sources."""
    from . import actions, db

    services = open_services()
    workspace = actions.workspace_id(services)
    with services.transaction() as session:
        rows: list[dict[str, Any]] = [
            {
                "id": s.id,
                "name": s.name,
                "type": str(s.type),
                "config": s.config,
                "cursor": s.cursor,
                "lastSyncedAt": s.last_synced_at.isoformat() if s.last_synced_at else None,
            }
            for s in db.list_sources(session, workspace)
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("name", "type", "location", "last synced", "id")
    for row in rows:
        config = row["config"]
        location = (
            config.get("path") or config.get("repository") or ",".join(config.get("teams", []))
        )
        synced = row["lastSyncedAt"] or "never"
        table.add_row(row["name"], row["type"], str(location), synced, row["id"])
    console.print(table)


@app.command()
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
    view = asyncio.run(_run_sync(services, job.id, event, quiet=as_json))
    if as_json:
        print_json(
            {key: view[key] for key in ("jobId", "status", "metrics", "durationMs", "error")}
        )
    else:
        _print_job(view)
    raise typer.Exit(EXIT_CODES.get(view["status"], 2))


async def _run_sync(services: Any, job_id: str, event: Any, *, quiet: bool) -> dict[str, Any]:
    from .engine import StateLockedError
    from .runtime import EmbeddedRuntime

    runtime = None
    settings = services.settings
    if settings.engine == "embedded":
        runtime = EmbeddedRuntime(services)
        try:
            await runtime.start()
        except StateLockedError:
            runtime = None
    try:
        if runtime is not None:
            await runtime.send(event.name, event.to_data())
        else:
            await _send_remote(settings, event.name, event.to_data())
        return await _watch(services, job_id, quiet=quiet)
    finally:
        if runtime is not None:
            await runtime.stop()


async def _send_remote(settings: Any, name: str, data: dict[str, Any]) -> None:
    """Another process runs the engine (``sourcesync serve``), or Inngest does."""
    if settings.engine == "embedded":
        url = f"http://127.0.0.1:{settings.engine_port}/e/cli"
    else:
        base = os.environ.get("INNGEST_EVENT_API_BASE_URL") or os.environ.get(
            "INNGEST_BASE_URL", "https://inn.gs"
        )
        url = f"{base.rstrip('/')}/e/{os.environ.get('INNGEST_EVENT_KEY', 'cli')}"
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(url, json={"name": name, "data": data})
    if response.status_code >= 400:
        raise fail(f"the event API at {url} refused the sync: {response.text[:300]}")


async def _watch(services: Any, job_id: str, *, quiet: bool) -> dict[str, Any]:
    """Show the job's progress, read from the database, until it ends."""
    from . import actions, db

    terminal = {"completed", "completed_with_errors", "failed", "cancelled"}
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
        disable=quiet,
    )
    with progress:
        files = progress.add_task("files", total=None)
        batches = progress.add_task("batches", total=None)
        embedded = progress.add_task("documents embedded", total=None)
        while True:
            with services.transaction() as session:
                job = db.require_job(session, job_id)
                done = (
                    job.files_processed + job.files_failed + job.files_skipped + job.files_deleted
                )
                progress.update(files, completed=done, total=job.files_total or None)
                progress.update(
                    batches, completed=job.batches_completed, total=job.batches_total or None
                )
                progress.update(
                    embedded,
                    completed=job.documents_processed + job.documents_failed,
                    total=job.documents_total or None,
                )
                status = str(job.status)
            if status in terminal:
                break
            await asyncio.sleep(0.2)
    return await asyncio.to_thread(actions.job_view, services, job_id)


def _print_job(view: dict[str, Any]) -> None:
    colour = STATUS_COLOURS.get(view["status"], "red")
    console.print(
        f"Job [bold]{view['jobId']}[/bold] ({view['source']}, {view['mode']}): "
        f"[{colour}]{view['status']}[/{colour}] in {(view['durationMs'] or 0) / 1000:.1f} s"
    )
    table = Table("metric", "count")
    for key, value in view["metrics"].items():
        table.add_row(key, str(value))
    console.print(table)
    if view["error"]:
        console.print(f"[red]error:[/red] {view['error']}")
    for failure in view["failures"][:20]:
        console.print(
            f"  [yellow]{failure['stage']}[/yellow] {failure['documentId']}: {failure['message']}"
        )
    if len(view["failures"]) > 20:
        console.print(
            f"  ... and {len(view['failures']) - 20} more (see `sourcesync job {view['jobId']}`)"
        )


@app.command()
def jobs(
    source: Annotated[str | None, typer.Option(help="Only this source's jobs.")] = None,
    limit: Annotated[int, typer.Option(help="How many.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """List recent sync jobs, newest first."""
    from . import actions, db

    services = open_services()
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
        console.print(f"    [dim]{v['source']}, {v['mode']}, {v['trigger']}, {when}[/dim]")
        console.print(
            f"    files {m['filesProcessed']} processed · {m['filesFailed']} failed · "
            f"{m['filesSkipped']} skipped · {m['filesDeleted']} deleted · "
            f"{m['embeddingsCreated']} chunks"
        )


@app.command()
def job(
    job_id: Annotated[str, typer.Argument(help="Job id.")], as_json: JsonOption = False
) -> None:
    """Show one job: metrics, timings and per-document errors."""
    from . import actions, db

    services = open_services()
    try:
        view = actions.job_view(services, job_id)
    except db.JobNotFoundError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        print_json(view)
        return
    _print_job(view)
    console.print(
        f"created {view['createdAt']}, started {view['startedAt']}, finished {view['finishedAt']}"
    )


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for, in your own words.")],
    k: Annotated[int, typer.Option("-k", help="How many files.")] = 5,
    source: Annotated[str | None, typer.Option(help="Only this source (name or id).")] = None,
    source_type: Annotated[
        str | None, typer.Option("--type", help="Only sources of this type (git, github, ...).")
    ] = None,
    path: Annotated[
        str | None,
        typer.Option(help="Only paths matching this glob ('src/**/*.py'; '*.md' in any folder)."),
    ] = None,
    mode: Annotated[
        str, typer.Option(help="hybrid (meaning and words), vector or keyword.")
    ] = "hybrid",
    as_json: JsonOption = False,
) -> None:
    """Search everything synced, by meaning and by words: the best files, best first.

    Asks the running `sourcesync serve` when there is one (it has the model loaded).
    """
    from .settings import Settings

    if mode not in ("hybrid", "vector", "keyword"):
        raise fail(f"--mode must be hybrid, vector or keyword, not {mode!r}")
    params = {"q": query, "k": k, "source": source, "type": source_type, "path": path}
    hits = _search_served(Settings().api_port, params | {"mode": mode})
    if hits is None:
        from . import actions, db

        services = open_services()
        try:
            found = asyncio.run(
                actions.search(
                    services,
                    query,
                    k=k,
                    source_ref=source,
                    source_type=source_type,
                    path_glob=path,
                    mode=mode,
                )
            )
        except db.SourceNotFoundError as exc:
            raise fail(str(exc)) from exc
        hits = [hit.to_json() for hit in found]
    if as_json:
        print_json(hits)
        return
    if not hits:
        console.print("No results. Has a source been synced? (`sourcesync sync SOURCE`)")
        return
    for rank, hit in enumerate(hits, 1):
        console.print(
            f"[bold]{rank}. {hit['title']}[/bold]  [dim]{hit['source']} · score {hit['score']:.3f}[/dim]"
        )
        where = hit["location"] if hit["location"] != hit["title"] else None
        lines = f"lines {hit['lines']}" if hit.get("lines") else None
        if where or lines:
            console.print(f"   [cyan]{' · '.join(p for p in (where, lines) if p)}[/cyan]")
        console.print(f"   {hit['snippet']}")


def _search_served(port: int, params: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The hits of `GET /api/search` on the local `serve`, or None when none is listening."""
    url = f"http://127.0.0.1:{port}/api/search"
    query = {key: value for key, value in params.items() if value is not None}
    try:
        response = httpx.get(url, params=query, timeout=httpx.Timeout(30.0, connect=0.5))
    except httpx.ConnectError:
        return None
    if response.status_code == 404 and response.headers.get("content-type") == "application/json":
        raise fail(str(response.json().get("detail", "not found")))  # an unknown source
    response.raise_for_status()
    hits: list[dict[str, Any]] = response.json()
    return hits


@app.command()
def serve(
    engine: Annotated[
        str, typer.Option(help="embedded: run the engine here; inngest: use Inngest.")
    ] = "embedded",
    port: Annotated[
        int | None, typer.Option(help="Port of the HTTP API (default SOURCESYNC_API_PORT).")
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Serve the HTTP API and /api/inngest (with the embedded engine, or for Inngest)."""
    if engine not in ("embedded", "inngest"):
        raise fail("--engine must be embedded or inngest")
    configure_logging(log_level)
    services = open_services()
    asyncio.run(_serve(services, engine, host, port or services.settings.api_port))


async def _serve(services: Any, engine: str, host: str, port: int) -> None:
    import logging

    import uvicorn

    from .api import create_app
    from .engine import StateLockedError
    from .runtime import EmbeddedRuntime, create_client

    log = logging.getLogger("sourcesync.serve")
    runtime = None
    if engine == "embedded":
        runtime = EmbeddedRuntime(services, port=services.settings.engine_port)
        try:
            await runtime.start()
        except StateLockedError as exc:
            raise fail(str(exc)) from exc
        app = runtime.app
        log.info("embedded engine running", extra={"engine_url": runtime.engine.url})
    else:
        if not (os.environ.get("INNGEST_DEV") or os.environ.get("INNGEST_SIGNING_KEY")):
            raise fail(
                "--engine inngest needs INNGEST_SIGNING_KEY (and INNGEST_EVENT_KEY) for Inngest "
                "Cloud or a self-hosted server, or INNGEST_DEV=http://HOST:8288 for a dev server"
            )
        app = create_app(services, create_client())
        log.info(
            "serving for Inngest",
            extra={
                "serve_url": f"http://{host}:{port}/api/inngest",
                "hint": f"run `inngest start -u http://{host}:{port}/api/inngest` (or the dev "
                "server with -u), set INNGEST_SIGNING_KEY and INNGEST_EVENT_KEY in production",
            },
        )
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    log.info("API listening", extra={"url": f"http://{host}:{port}"})
    try:
        await server.serve()
    finally:
        if runtime is not None:
            await runtime.stop()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
