"""``sourcesync sources ...``: add (one command per registered source type, generated from
its ``Config``), list, show and remove."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from .cli_support import JsonOption, console, deliver, fail, open_services, print_json

sources_app = typer.Typer(help="Add, list, show and remove sources.", no_args_is_help=True)


class _SourceTypesGroup(TyperGroup):
    """``sources add``, whose subcommands (one per installed source type) are made only when
    ``sources add`` itself runs: making them loads every type's spec and configuration
    model, which no other command needs."""

    _commands: MutableMapping[str, Any] | None = None

    @property
    def commands(self) -> MutableMapping[str, Any]:
        if self._commands is None:
            from .source_add_commands import add_commands

            self._commands = add_commands()
        return self._commands

    @commands.setter
    def commands(self, commands: MutableMapping[str, Any]) -> None:
        # TyperGroup's __init__ sets the commands it was given: none for this group.
        self._commands = dict(commands) or None


sources_app.add_typer(
    typer.Typer(
        cls=_SourceTypesGroup,
        help="Add a source of one of the installed types (below), then run its first sync.",
        no_args_is_help=True,
    ),
    name="add",
)


@sources_app.command("list")
def sources_list(as_json: JsonOption = False) -> None:
    """List the workspace's sources."""
    from . import actions, db

    services = open_services(database_only=True)
    workspace = actions.workspace_id(services)
    with services.reading() as session:
        sources = db.list_sources(session, workspace)
    views = [actions.source_view(services, source) for source in sources]
    if as_json:
        print_json(views)
        return
    if not views:
        console.print("No sources yet: `sourcesync sources add --help` lists the types.")
        return
    table = Table("name", "type", "location", "last synced", "schedule", "id")
    for view in views:
        table.add_row(
            escape(view["name"]),
            view["type"],
            escape(view["location"]),
            view["lastSyncedAt"] or "never",
            view["schedule"] or "",
            view["id"],
        )
    console.print(table)


@sources_app.command("show")
def sources_show(
    source: str = typer.Argument(help="Source name or id."), as_json: JsonOption = False
) -> None:
    """Show one source: its configuration (names of secrets, never values), cursor,
    schedule and last job."""
    from . import actions, db

    services = open_services(database_only=True)
    with services.reading() as session:
        try:
            row = db.require_source(session, actions.workspace_id(services), source)
        except db.SourceNotFoundError as exc:
            raise fail(f"{exc}; see `sourcesync sources list`") from exc
    view = actions.source_view(services, row)
    if as_json:
        print_json(view)
        return
    console.print(f"[bold]{escape(view['name'])}[/bold] ({view['type']}, {view['id']})")
    console.print(f"  location     {escape(view['location'])}")
    for key, value in view["config"].items():
        console.print(f"  {key:<12} {escape(str(value))}")
    console.print(f"  documents    {view['documents']}")
    console.print(f"  cursor       {escape(str(view['cursor'] or 'none (the next sync is full)'))}")
    console.print(f"  last synced  {view['lastSyncedAt'] or 'never'}")
    if view["schedule"]:
        console.print(f"  schedule     {view['schedule']}, next run {view['nextSyncAt']}")
    last = view["lastJob"]
    if last:
        console.print(f"  last job     {last['jobId']} {last['status']} ({last['createdAt']})")


@sources_app.command("remove")
def sources_remove(
    source: str = typer.Argument(help="Source name or id."),
    force: bool = typer.Option(False, "--force", help="Cancel a sync in progress first."),
) -> None:
    """Remove a source: its documents and vectors are deleted; its jobs stay as history."""
    from . import actions, db

    services = open_services()
    try:
        removal = asyncio.run(actions.remove_source(services, source, force=force))
    except db.SourceNotFoundError as exc:
        raise fail(f"{exc}; see `sourcesync sources list`") from exc
    except actions.SourceBusyError as exc:
        raise fail(str(exc)) from exc
    if removal.cancelled:
        asyncio.run(deliver(services, removal.cancelled))
    removed = removal.source
    console.print(
        f"Removed {removed.type} source [bold]{escape(removed.name)}[/bold] ({removed.id})"
    )
