"""What the ``sourcesync`` commands share: output, errors, services, following a job."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console()
errors = Console(stderr=True, soft_wrap=True)

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


def open_services() -> Any:
    from .settings import Settings
    from .workflows.services import Services

    return Services.from_settings(Settings())


async def run_and_watch(services: Any, job_id: str, event: Any, *, quiet: bool) -> dict[str, Any]:
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


def print_job(view: dict[str, Any]) -> None:
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
