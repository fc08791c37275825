"""The ``sourcesync`` command."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console

from .logs import configure_logging

app = typer.Typer(help="Keep a team's knowledge searchable.", no_args_is_help=True)
events_app = typer.Typer(help="Send and inspect events.", no_args_is_help=True)
app.add_typer(events_app, name="events")
console = Console()
errors = Console(stderr=True)

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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
