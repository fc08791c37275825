"""The ``sourcesync`` command."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from .cli_support import (
    EXIT_CODES,
    STATUS_COLOURS,
    JsonOption,
    console,
    deliver,
    errors,
    fail,
    open_services,
    print_job,
    print_json,
    run_and_watch,
)
from .logs import configure_logging
from .source_commands import sources_app
from .token_commands import tokens_app

app = typer.Typer(help="Keep a team's knowledge searchable.", no_args_is_help=True)
events_app = typer.Typer(help="Send and inspect events.", no_args_is_help=True)
app.add_typer(events_app, name="events")
app.add_typer(sources_app, name="sources")
app.add_typer(tokens_app, name="tokens")

DEFAULT_ENGINE_URL = "http://127.0.0.1:8288"


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
    from .heap import settle_heap

    configure_logging(log_level)
    from .keys import engine_keys
    from .settings import Settings

    # Locked as Inngest is: apps sync with the signing key, events need the event key
    # (INNGEST_SIGNING_KEY / INNGEST_EVENT_KEY, else the ones in SOURCESYNC_HOME).
    keys = engine_keys(Settings().home)
    if app_spec:
        # An app loaded in process syncs and sends events with the engine's own keys.
        os.environ.setdefault("INNGEST_SIGNING_KEY", keys.signing_key)
        os.environ.setdefault("INNGEST_EVENT_KEY", keys.event_key)
    config = EngineConfig(
        state_path=str(state),
        host=host,
        port=port,
        signing_key=keys.signing_key,
        event_key=keys.event_key,
    )
    settle_heap()
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
    event_key: Annotated[
        str | None,
        typer.Option(
            envvar="INNGEST_EVENT_KEY", help="Default: the key in SOURCESYNC_HOME/event-key."
        ),
    ] = None,
) -> None:
    """Send one event to the engine (or Inngest) and print its id."""
    from .keys import engine_keys
    from .settings import Settings

    event_key = event_key or engine_keys(Settings().home).event_key
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
    view = asyncio.run(run_and_watch(services, job.id, event, quiet=as_json))
    if as_json:
        print_json(
            {key: view[key] for key in ("jobId", "status", "metrics", "durationMs", "error")}
        )
    else:
        print_job(view)
    raise typer.Exit(EXIT_CODES.get(view["status"], 2))


@app.command()
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
    print_job(view)
    console.print(
        f"created {view['createdAt']}, started {view['startedAt']}, finished {view['finishedAt']}"
    )


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for, in your own words.")],
    k: Annotated[int, typer.Option("-k", help="How many files.")] = 5,
    source: Annotated[str | None, typer.Option(help="Only this source (name or id).")] = None,
    source_type: Annotated[
        str | None,
        typer.Option("--type", help="Only sources of this type (as `sources list` shows it)."),
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
    hits = _search_served(Settings(), params | {"mode": mode})
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
        for link in hit.get("related", []):
            console.print(
                f"   [dim]↳ {link['relation']} {link['title']} ({link['source']})[/dim]",
                highlight=False,
            )


def _search_served(settings: Any, params: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The hits of `GET /api/search` on this home's running `serve`, or None when there is
    none (or the one listening is another home's: it refuses this home's token)."""
    token_file = settings.home / "api-token"
    if not token_file.exists():
        return None
    url = f"http://127.0.0.1:{settings.api_port}/api/search"
    query = {key: value for key, value in params.items() if value is not None}
    headers = {"Authorization": f"Bearer {token_file.read_text().strip()}"}
    try:
        response = httpx.get(
            url, params=query, headers=headers, timeout=httpx.Timeout(30.0, connect=0.5)
        )
    except httpx.HTTPError:
        return None
    if response.status_code == 404 and response.headers.get("content-type") == "application/json":
        raise fail(str(response.json().get("detail", "not found")))  # an unknown source
    if response.status_code != 200:
        return None
    hits: list[dict[str, Any]] = response.json()
    return hits


@app.command()
def dashboard(
    port: Annotated[
        int | None,
        typer.Option(help="Port of the running `serve` (default SOURCESYNC_API_PORT)."),
    ] = None,
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open the link in a browser.")
    ] = True,
) -> None:
    """Print a one-time sign-in link to the dashboard of `sourcesync serve` (valid for two
    minutes; it signs in with this machine's token and holds no secret itself)."""
    import webbrowser

    from . import actions, db
    from .dashboard.login_pages import login_link
    from .keys import dashboard_key

    services = open_services()
    secret = actions.local_api_token(services)
    with services.transaction() as session:
        token = db.authenticate_token(session, secret)
        assert token is not None  # local_api_token made or checked it just now
        token_id = token.id
    base = f"http://127.0.0.1:{port or services.settings.api_port}"
    url = login_link(dashboard_key(services.settings.home), token_id, base)
    console.print(url, markup=False, highlight=False, soft_wrap=True)
    if open_browser:
        webbrowser.open(url)


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
    from . import actions, db

    configure_logging(log_level)
    services = open_services()
    actions.local_api_token(services)
    if not _is_loopback(host):
        with services.reading() as session:
            tokens = db.count_user_tokens(session)
        if not tokens:
            raise fail(
                f"serving on {host} exposes the API beyond this machine, but no API token "
                "was made for its users: make one with `sourcesync tokens create --name NAME` "
                "(or serve on 127.0.0.1)"
            )
    asyncio.run(_serve(services, engine, host, port or services.settings.api_port))


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _serve(services: Any, engine: str, host: str, port: int) -> None:
    import logging

    import uvicorn

    from .api import create_app
    from .dashboard import create_dashboard
    from .engine import StateLockedError
    from .heap import settle_heap
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
        await services.vectors.warm()
        client = create_client()
        app = create_app(services, client)
        app.mount("", create_dashboard(services, client, None))
        log.info(
            "serving for Inngest",
            extra={
                "serve_url": f"http://{host}:{port}/api/inngest",
                "hint": f"run `inngest start -u http://{host}:{port}/api/inngest` (or the dev "
                "server with -u), set INNGEST_SIGNING_KEY and INNGEST_EVENT_KEY in production",
            },
        )
    settle_heap()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    log.info("API listening", extra={"url": f"http://{host}:{port}"})
    log.info(
        "dashboard",
        extra={"url": f"http://{host}:{port}/", "sign_in": "run `sourcesync dashboard`"},
    )
    try:
        await server.serve()
    finally:
        if runtime is not None:
            await runtime.stop()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
