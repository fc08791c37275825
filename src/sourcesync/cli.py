"""The ``sourcesync`` command: its commands, in the order ``--help`` lists them.

The commands live by what they do in ``job_commands``, ``search_command``,
``serve_commands``, ``source_commands`` and ``token_commands``; each imports what it works
with when it runs, so a command starts with its own imports only.
"""

from __future__ import annotations

import typer

from .job_commands import cancel, job, jobs, sync
from .search_command import search
from .serve_commands import dashboard, engine, events_app, serve
from .source_commands import sources_app
from .token_commands import tokens_app

app = typer.Typer(help="Keep a team's knowledge searchable.", no_args_is_help=True)
app.add_typer(events_app, name="events")
app.add_typer(sources_app, name="sources")
app.add_typer(tokens_app, name="tokens")
for command in (engine, sync, cancel, jobs, job, search, dashboard, serve):
    app.command()(command)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
