"""``sourcesync sources add TYPE``: one command per registered source type, generated from
its ``Config`` (each field an argument or an option)."""

from __future__ import annotations

import asyncio
import inspect
import types
from collections.abc import Callable
from typing import Any, Union, get_args, get_origin

import typer
from pydantic import ValidationError
from pydantic.fields import FieldInfo
from rich.markup import escape

from .cli_support import (
    EXIT_CODES,
    console,
    fail,
    open_services,
    print_job,
    print_json,
    run_and_watch,
)
from .connectors.registry import all_specs
from .connectors.spec import SourceSpec

_COMMON_OPTIONS = {
    "name": inspect.Parameter(
        "name",
        inspect.Parameter.KEYWORD_ONLY,
        annotation=str | None,
        default=typer.Option(None, "--name", help="Source name (default: from its location)."),
    ),
    "every": inspect.Parameter(
        "every",
        inspect.Parameter.KEYWORD_ONLY,
        annotation=str | None,
        default=typer.Option(
            None,
            "--every",
            help="Sync on a schedule: an interval (30m, 1h, 1d) or a cron expression (UTC).",
        ),
    ),
    "no_sync": inspect.Parameter(
        "no_sync",
        inspect.Parameter.KEYWORD_ONLY,
        annotation=bool,
        default=typer.Option(False, "--no-sync", help="Add only; do not run the first sync."),
    ),
    "as_json": inspect.Parameter(
        "as_json",
        inspect.Parameter.KEYWORD_ONLY,
        annotation=bool,
        default=typer.Option(False, "--json", help="Print JSON instead of tables."),
    ),
}


def _flag(name: str, field: FieldInfo) -> str:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    return str(extra.get("flag") or "--" + name.replace("_", "-"))


def _is_argument(field: FieldInfo) -> bool:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    return extra.get("cli") == "argument"


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_is_list(arg) for arg in get_args(annotation))
    return get_origin(annotation) is list


def _parameter(name: str, field: FieldInfo) -> inspect.Parameter:
    """The Typer parameter of one config field: an argument, or an option named for it."""
    annotation = field.annotation
    if _is_argument(field):
        default: Any = typer.Argument(..., help=field.description, show_default=False)
    elif _is_list(annotation):
        annotation = list[str] | None
        default = typer.Option(None, _flag(name, field), help=field.description)
    elif annotation is bool:
        flag = _flag(name, field)
        default = typer.Option(
            bool(field.default), f"{flag}/--no-{flag[2:]}", help=field.description
        )
    else:
        value = None if field.is_required() else field.default
        default = typer.Option(value, _flag(name, field), help=field.description)
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


def _validation_message(error: ValidationError, spec: SourceSpec[Any]) -> str:
    """Each bad field, named as the option (or argument) the user typed."""
    fields = spec.config.model_fields
    parts = []
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else ""
        field = fields.get(name)
        if field is None:
            where = name or "configuration"
        elif _is_argument(field):
            where = name.upper()
        else:
            where = _flag(name, field)
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def _add_command(spec: SourceSpec[Any]) -> Callable[..., None]:
    fields = spec.config.model_fields

    def add(**values: Any) -> None:
        from . import actions, db
        from .connectors.errors import ConnectorError
        from .workflows.schedules import InvalidScheduleError

        name, every = values.pop("name"), values.pop("every")
        no_sync, as_json = values.pop("no_sync"), values.pop("as_json")
        config = {key: value for key, value in values.items() if value not in (None, [])}
        services = open_services()
        try:
            source = actions.add_source(services, spec.type, config, name=name, schedule=every)
        except ValidationError as exc:
            raise fail(_validation_message(exc, spec)) from exc
        except (ConnectorError, InvalidScheduleError) as exc:
            raise fail(str(exc)) from exc
        except db.SourceNameTakenError as exc:
            raise fail(f"{exc} (choose another with --name)") from exc
        view = actions.source_view(services, source)
        if as_json and no_sync:
            print_json(view)
        elif not as_json:
            console.print(
                f"Added {source.type} source [bold]{escape(source.name)}[/bold] ({source.id})"
            )
        if no_sync:
            return
        job, event = actions.connect_source(services, source)
        outcome = asyncio.run(run_and_watch(services, job.id, event, quiet=as_json))
        if as_json:
            print_json(view | {"firstSync": outcome})
        else:
            print_job(outcome)
        raise typer.Exit(EXIT_CODES.get(outcome["status"], 2))

    parameters = [_parameter(name, field) for name, field in fields.items()]
    add.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        sorted(parameters, key=lambda p: not _is_argument(fields[p.name]))
        + [p for key, p in _COMMON_OPTIONS.items() if key not in fields]
    )
    add.__doc__ = (
        f"{spec.description}\n\nIts access is checked first; then its first sync runs "
        "(--no-sync to skip)."
    )
    return add


def add_commands() -> dict[str, Any]:
    """``sources add``'s subcommands, one per installed source type, as Click commands."""
    group = typer.Typer()
    for spec in sorted(all_specs().values(), key=lambda spec: spec.type):
        group.command(spec.type, help=_add_command(spec).__doc__)(_add_command(spec))
    return dict(typer.main.get_group(group).commands)
