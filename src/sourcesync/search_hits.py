"""Search as the CLI, the API and the dashboard ask it: the best files of a workspace,
each shown by the lines of its best chunk that answer the question."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sourcesync import db

if TYPE_CHECKING:
    from sourcesync.workflows.services import Services

__all__ = ["Hit", "search"]

log = logging.getLogger("sourcesync.search")


@dataclass(frozen=True)
class Hit:
    """One file in the results, shown by its best chunk."""

    title: str | None
    location: str | None
    score: float
    snippet: str
    source: str
    document_id: str
    lines: str | None = None
    related: list[dict[str, Any]] = field(default_factory=list)
    """Documents of other sources about the same code (``code_links``)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


async def search(
    services: Services,
    query: str,
    *,
    k: int = 5,
    source_ref: str | None = None,
    workspace: str | None = None,
    source_type: str | None = None,
    path_glob: str | None = None,
    mode: str = "hybrid",
) -> list[Hit]:
    """The ``k`` files of the workspace that best answer ``query``, best first.

    Hybrid (vector and keyword) ranking by default; see ``sourcesync.search``.
    """
    from sourcesync.actions import workspace_id
    from sourcesync.code_links import related_links
    from sourcesync.search import SearchMode
    from sourcesync.search.snippets import snippet
    from sourcesync.search.workspace_search import StoreRef, search_workspace
    from sourcesync.stores import ChunkFilter

    ws = await services.in_thread(workspace_id, services, workspace)
    source_id = None
    with services.reading() as session:
        names = {source.id: source.name for source in db.list_sources(session, ws)}
        if source_ref:
            source_id = db.require_source(session, ws, source_ref).id
        stores = [
            StoreRef(store.namespace, store.embedding_model)
            for store in reversed(db.list_stores(session, ws))
        ]
    results = await search_workspace(
        services.vectors,
        services.embedder,
        ws,
        query,
        stores=stores,
        k=k,
        mode=SearchMode(mode),
        where=ChunkFilter(source_id=source_id, source_type=source_type, path_glob=path_glob),
    )
    if results.note:
        log.warning(results.note)
    hits = []
    for file in results.files:
        best = file.best
        start = best.metadata.get("start_line")
        shown = snippet(best.text, query)
        lines = None
        if isinstance(start, int):  # the lines shown, in the document
            lines = f"{start + shown.first_line}-{start + shown.last_line}"
        hits.append(
            Hit(
                title=best.title,
                location=best.path or best.url,
                score=round(file.score, 4),
                snippet=shown.text,
                source=names.get(best.source_id, best.source_id),
                document_id=file.document_id,
                lines=lines,
            )
        )
    if not hits:
        return hits
    links = await services.in_thread(
        related_links, services, ws, [hit.document_id for hit in hits], names
    )
    return [replace(hit, related=links.get(hit.document_id, [])) for hit in hits]
