"""``sourcesync engine``, ``events send``, ``dashboard`` and ``serve``: the processes that
serve, and what talks to them."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from .cli_support import console, errors, fail, open_services
from .logs import configure_logging

events_app = typer.Typer(help="Send and inspect events.", no_args_is_help=True)

DEFAULT_ENGINE_URL = "http://127.0.0.1:8288"


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
        errors.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    except (ValueError, ImportError) as exc:
        errors.print(f"[red]error:[/red] {escape(str(exc))}")
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
    import httpx

    from .keys import engine_keys
    from .settings import Settings

    event_key = event_key or engine_keys(Settings().home).event_key
    try:
        payload = json.loads(data)
    except ValueError as exc:
        errors.print(f"[red]error:[/red] --data is not valid JSON: {escape(str(exc))}")
        raise typer.Exit(2) from exc
    try:
        response = httpx.post(
            f"{engine_url.rstrip('/')}/e/{event_key}",
            json={"name": name, "data": payload},
            timeout=10,
        )
    except httpx.HTTPError as exc:
        errors.print(f"[red]error:[/red] cannot reach {engine_url}: {escape(str(exc))}")
        raise typer.Exit(2) from exc
    body = response.json()
    if response.status_code != 200:
        errors.print(f"[red]error:[/red] {escape(str(body.get('error', body)))}")
        raise typer.Exit(2)
    for event_id in body["ids"]:
        console.print(event_id)


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

    services = open_services(database_only=True)
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
