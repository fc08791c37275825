"""The search page: a query box, a source filter, and the best files with their snippet,
location (linked when it is a web address) and score."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sourcesync import db, search_hits

from .context import Dashboard, Viewer
from .guards import page
from .rendering import refuse, render

MAX_QUERY_CHARS = 2_000
RESULTS = 10


def _source_names(dashboard: Dashboard, workspace_id: str) -> list[str]:
    with dashboard.services.reading() as session:
        return [source.name for source in db.list_sources(session, workspace_id)]


def search_routes(dashboard: Dashboard) -> list[Route]:
    async def search(request: Request, viewer: Viewer) -> Response:
        query = request.query_params.get("q", "").strip()
        source = request.query_params.get("source") or None
        if len(query) > MAX_QUERY_CHARS:
            return refuse(request, viewer, 400, f"the query is over {MAX_QUERY_CHARS} characters")
        names = await dashboard.services.in_thread(_source_names, dashboard, viewer.workspace_id)
        hits: list[search_hits.Hit] = []
        if query:
            try:
                hits = await search_hits.search(
                    dashboard.services,
                    query,
                    k=RESULTS,
                    source_ref=source,
                    workspace=viewer.workspace_id,
                )
            except db.SourceNotFoundError as exc:
                return refuse(request, viewer, 404, str(exc))
        return render(
            request,
            viewer,
            "search.html",
            query=query,
            source=source or "",
            sources=names,
            hits=hits,
        )

    return [page(dashboard, "/search", search)]
