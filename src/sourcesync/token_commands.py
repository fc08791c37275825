"""``sourcesync tokens ...``: bearer tokens for the REST API, one workspace each."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from .cli_support import JsonOption, console, fail, open_services, print_json

tokens_app = typer.Typer(help="Make, list and revoke API tokens.", no_args_is_help=True)


@tokens_app.command("create")
def tokens_create(
    name: str = typer.Option(..., "--name", help="Who or what the token is for."),
    workspace: str | None = typer.Option(
        None, "--workspace", help="The workspace it may see (default: SOURCESYNC_WORKSPACE)."
    ),
    read_only: bool = typer.Option(
        False, "--read-only", help="It may look (API reads, dashboard) but not act."
    ),
    as_json: JsonOption = False,
) -> None:
    """Make a token; it is printed once and stored hashed."""
    from . import actions, db

    services = open_services(database_only=True)
    with services.transaction() as session:
        workspace_id = (
            db.ensure_workspace(session, workspace, workspace_id=workspace).id
            if workspace
            else actions.workspace_id(services)
        )
        scope = db.TokenScope.READ if read_only else db.TokenScope.WRITE
        token, secret = db.create_token(session, workspace_id, name, scope=scope)
    if as_json:
        print_json(
            {
                "id": token.id,
                "workspace": workspace_id,
                "name": name,
                "scope": str(scope),
                "token": secret,
            }
        )
        return
    console.print(
        f"Token [bold]{token.id}[/bold] ({scope}) for workspace {escape(workspace_id)} "
        f"({escape(name)}):"
    )
    console.print(secret, markup=False, highlight=False)
    console.print("[dim]Shown once: send it as Authorization: Bearer <token>.[/dim]")


@tokens_app.command("list")
def tokens_list(as_json: JsonOption = False) -> None:
    """List tokens (never their secrets)."""
    from . import db

    services = open_services(database_only=True)
    with services.reading() as session:
        rows = [
            {
                "id": t.id,
                "workspace": t.workspace_id,
                "name": t.name,
                "kind": str(t.kind),
                "scope": str(t.scope),
                "createdAt": t.created_at.isoformat(),
                "lastUsedAt": t.last_used_at.isoformat() if t.last_used_at else None,
                "revokedAt": t.revoked_at.isoformat() if t.revoked_at else None,
            }
            for t in db.list_tokens(session)
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "workspace", "name", "scope", "last used", "revoked")
    for row in rows:
        table.add_row(
            row["id"],
            escape(row["workspace"] or ""),
            escape(row["name"] or ""),
            row["scope"],
            row["lastUsedAt"] or "never",
            row["revokedAt"] or "",
        )
    console.print(table)


@tokens_app.command("revoke")
def tokens_revoke(token_id: str = typer.Argument(help="The token's id (tok_...).")) -> None:
    """Revoke a token: requests with it are refused from now on."""
    from . import db

    services = open_services(database_only=True)
    try:
        with services.transaction() as session:
            token = db.revoke_token(session, token_id)
    except db.TokenNotFoundError as exc:
        raise fail(str(exc)) from exc
    console.print(f"Revoked {token.id} ({escape(token.name)})")
