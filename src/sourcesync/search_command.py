"""``sourcesync search``: asks the running ``serve`` when there is one, else searches here."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer

from .cli_support import JsonOption, console, fail, open_services, print_json


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
        from . import db, search_hits

        services = open_services()
        try:
            found = asyncio.run(
                search_hits.search(
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
    _print_hits(hits)


def _print_hits(hits: list[dict[str, Any]]) -> None:
    """Each hit: rank, title, where, and its snippet indented as its code is. What comes from
    the documents is printed as text, never read as Rich markup (`items[i]` stays as is)."""
    from rich.markup import escape
    from rich.text import Text

    def indented(text: str, style: str = "") -> Text:
        return Text("\n".join(f"   {line}" for line in text.splitlines()), style=style)

    for rank, hit in enumerate(hits, 1):
        console.print(
            f"[bold]{rank}. {escape(str(hit['title']))}[/bold]  "
            f"[dim]{escape(hit['source'])} · score {hit['score']:.3f}[/dim]",
            highlight=False,
        )
        where = hit["location"] if hit["location"] != hit["title"] else None
        lines = f"lines {hit['lines']}" if hit.get("lines") else None
        if where or lines:
            console.print(indented(" · ".join(p for p in (where, lines) if p), "cyan"))
        console.print(indented(hit["snippet"]))
        for link in hit.get("related", []):
            related = f"↳ {link['relation']} {link['title']} ({link['source']})"
            console.print(indented(related, "dim"))


def _search_served(settings: Any, params: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The hits of `GET /api/search` on this home's running `serve`, or None when there is
    none (or the one listening is another home's: it refuses this home's token)."""
    token_file = settings.home / "api-token"
    if not token_file.exists():
        return None
    import httpx  # imported only once a serve may be up

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
