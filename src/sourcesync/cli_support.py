"""What the ``sourcesync`` commands share: output, errors, services, following a job."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
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
    errors.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(code)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def open_services(*, database_only: bool = False) -> Any:
    """The services of this home, for a command; ``database_only`` for a command that only
    reads or writes the database (the store and the embedder are then made on first use)."""
    from pydantic import ValidationError

    from .settings import Settings
    from .workflows.services import Services

    try:
        return Services.from_settings(Settings(), database_only=database_only)
    except ValidationError as exc:
        raise fail(f"invalid SOURCESYNC_* setting: {exc.errors()[0]['msg']} ({exc})") from exc
    except Exception as exc:
        # Imported only on failure: the embeddings package is not otherwise imported by a
        # command that only reads the database.
        from .embeddings.errors import EmbeddingConfigError

        if isinstance(exc, EmbeddingConfigError):
            raise fail(str(exc)) from exc
        raise


async def deliver(services: Any, events: list[Any]) -> None:
    """Send events to the engine: the running one (``sourcesync serve``, or Inngest), or
    one started here for the moment (it resumes any runs left in its state)."""
    await run_and_watch(services, None, events, quiet=True)


async def run_and_watch(
    services: Any, job_id: str | None, events: Any, *, quiet: bool
) -> dict[str, Any]:
    """Send ``events`` (one or a list), then follow job ``job_id`` until it ends.

    With the embedded engine, the engine runs in this process unless another process
    (``sourcesync serve``, or another ``sync``) holds its state; then the events go to
    that one, and if it stops before the job ends, this process takes the engine over
    (its runs resume from the state).
    """
    settings = services.settings
    engine = _LocalEngine(services)
    await engine.start_or_find()
    try:
        for event in events if isinstance(events, list) else [events]:
            if engine.runtime is not None:
                await engine.runtime.send(event.name, event.to_data())
                continue
            try:
                await _send_remote(settings, event.name, event.to_data())
            except EventRefusedError as exc:
                if job_id is not None:
                    await asyncio.to_thread(_fail_job, services, job_id, str(exc))
                raise fail(str(exc)) from exc
        if job_id is None:
            return {}
        return await _watch(services, job_id, quiet=quiet, idle=engine.take_over_if_gone)
    finally:
        await engine.stop()


class _LocalEngine:
    """The embedded engine in this process, when this process may run it."""

    def __init__(self, services: Any) -> None:
        self.services = services
        self.runtime: Any = None

    async def try_start(self) -> None:
        from .engine import StateLockedError
        from .heap import settle_heap
        from .runtime import EmbeddedRuntime

        if self.services.settings.engine != "embedded" or self.runtime is not None:
            return
        runtime = EmbeddedRuntime(self.services)
        try:
            await runtime.start()
        except StateLockedError:
            return
        self.runtime = runtime
        settle_heap()

    async def start_or_find(self, wait_s: float = 60.0) -> None:
        """Run the engine here, or wait until the process holding it says where it is."""
        from .runtime import running_engine_url

        deadline = asyncio.get_running_loop().time() + wait_s
        while self.services.settings.engine == "embedded":
            await self.try_start()
            if self.runtime is not None or running_engine_url(self.services.settings.home):
                return
            if asyncio.get_running_loop().time() > deadline:
                return  # sending will say that the other process does not answer
            await asyncio.sleep(0.2)

    async def take_over_if_gone(self) -> None:
        """The process that ran the engine stopped: run it here."""
        from .runtime import running_engine_url

        if self.runtime is None and running_engine_url(self.services.settings.home) is None:
            await self.try_start()

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()


class EventRefusedError(Exception):
    """The engine (or Inngest) could not be reached, or refused the event."""


def _fail_job(services: Any, job_id: str, message: str) -> None:
    from . import db

    with services.transaction() as session:
        db.mark_job_finished(session, job_id, db.JobStatus.FAILED, error=message)


async def _send_remote(settings: Any, name: str, data: dict[str, Any]) -> None:
    """Another process runs the engine (``sourcesync serve`` or another ``sync``), or
    Inngest does."""
    import httpx

    from .runtime import running_engine_url

    if settings.engine == "embedded":
        from .keys import engine_keys

        base = running_engine_url(settings.home) or f"http://127.0.0.1:{settings.engine_port}"
        key = engine_keys(settings.home).event_key
    else:
        base = os.environ.get("INNGEST_EVENT_API_BASE_URL") or os.environ.get(
            "INNGEST_BASE_URL", "https://inn.gs"
        )
        key = os.environ.get("INNGEST_EVENT_KEY", "cli")
    url = f"{base.rstrip('/')}/e/{key}"
    shown = f"{base.rstrip('/')}/e/<event key>"  # the key never reaches output or logs
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(url, json={"name": name, "data": data})
    except httpx.HTTPError as exc:
        raise EventRefusedError(
            f"another sourcesync process holds the engine's state, but its event API at "
            f"{shown} does not answer ({exc.__class__.__name__}); is it still starting or "
            "stuck? Try again, or stop it"
            if settings.engine == "embedded"
            else f"the event API at {shown} does not answer ({exc.__class__.__name__})"
        ) from exc
    if response.status_code >= 400:
        raise EventRefusedError(f"the event API at {shown} refused {name}: {response.text[:300]}")


async def _watch(
    services: Any, job_id: str, *, quiet: bool, idle: Callable[[], Awaitable[None]]
) -> dict[str, Any]:
    """Show the job's progress, read from the database, until it ends."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from . import actions, db
    from .workflows.stalls import stall_message

    terminal = {"completed", "completed_with_errors", "failed", "cancelled"}
    shown_stall: str | None = None
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
        # Chunks move while a batch is embedded; files, batches and documents as batches end.
        tasks = {
            name: progress.add_task(label, total=None)
            for name, label in (
                ("files", "files"),
                ("batches", "batches"),
                ("documents", "documents embedded"),
                ("chunks", "chunks embedded"),
            )
        }
        while True:
            with services.transaction() as session:
                job = db.require_job(session, job_id)
                for name, pair in actions.job_progress(job).items():
                    progress.update(
                        tasks[name], completed=pair["done"], total=pair["total"] or None
                    )
                status = str(job.status)
                stalled = stall_message(job, services.settings.stall_after_seconds)
            if stalled != shown_stall:
                shown_stall = stalled
                if stalled:
                    errors.print(f"[yellow]{escape(stalled)}[/yellow]")
            if status in terminal:
                break
            await idle()
            await asyncio.sleep(0.2)
    return await asyncio.to_thread(actions.job_view, services, job_id)


def print_job(view: dict[str, Any]) -> None:
    colour = STATUS_COLOURS.get(view["status"], "red")
    console.print(
        f"Job [bold]{view['jobId']}[/bold] ({escape(view['source'])}, {view['mode']}): "
        f"[{colour}]{view['status']}[/{colour}] in {(view['durationMs'] or 0) / 1000:.1f} s"
    )
    table = Table("metric", "count")
    for key, value in view["metrics"].items():
        table.add_row(key, str(value))
    console.print(table)
    if view["error"]:
        console.print(f"[red]error:[/red] {escape(view['error'])}")
    if view.get("stalled"):
        console.print(f"[yellow]{escape(view['stalled'])}[/yellow]")
    for failure in view["failures"][:20]:
        console.print(
            f"  [yellow]{failure['stage']}[/yellow] "
            f"{escape(failure['documentId'])}: {escape(failure['message'])}"
        )
    if len(view["failures"]) > 20:
        console.print(
            f"  ... and {len(view['failures']) - 20} more (see `sourcesync job {view['jobId']}`)"
        )
