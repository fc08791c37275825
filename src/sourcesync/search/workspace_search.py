"""Searching a workspace: its current store, or the one it had before a model change.

A new embedding model (or quantization) writes to a namespace of its own. Until the
workspace's sources are synced with it, that namespace is missing or empty, and the store
built with the previous model is searched instead, with a note that says so.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from sourcesync.embeddings import Embedder, local_embedder_for
from sourcesync.search.hybrid import SearchMode, search_files
from sourcesync.search.ranking import FileHit
from sourcesync.stores import ChunkFilter, NamespaceNotFoundError, VectorStore
from sourcesync.stores.namespaces import namespace_for

__all__ = ["StoreRef", "WorkspaceResults", "search_workspace"]


@dataclass(frozen=True, slots=True)
class StoreRef:
    """A namespace the workspace has written to, and the model its vectors came from."""

    namespace: str
    model_name: str


@dataclass(frozen=True, slots=True)
class WorkspaceResults:
    files: list[FileHit] = field(default_factory=list)
    note: str | None = None
    """Set when an older store answered: which, and how to move to the current model."""


async def search_workspace(
    vectors: VectorStore,
    embedder: Embedder,
    workspace_id: str,
    query: str,
    *,
    stores: Sequence[StoreRef],
    k: int = 5,
    mode: SearchMode = SearchMode.HYBRID,
    where: ChunkFilter | None = None,
) -> WorkspaceResults:
    """The `k` best files; `stores` are the workspace's namespaces, newest first."""
    current = namespace_for(workspace_id, embedder.model_name)
    files = await _search(vectors, embedder, current, workspace_id, query, k, mode, where)
    if files:
        return WorkspaceResults(files)
    for store in stores:
        if store.namespace == current:
            continue
        older = local_embedder_for(store.model_name)
        files = await _search(vectors, older, store.namespace, workspace_id, query, k, mode, where)
        if files:
            how = "" if older is not None else " by keywords only (its model is not at hand)"
            note = (
                f"searched the store embedded with {store.model_name}{how}: nothing is "
                f"embedded with {embedder.model_name} yet; `sourcesync sync SOURCE` re-embeds "
                "a source with it"
            )
            return WorkspaceResults(files, note)
    return WorkspaceResults()


async def _search(
    vectors: VectorStore,
    embedder: Embedder | None,
    namespace: str,
    workspace_id: str,
    query: str,
    k: int,
    mode: SearchMode,
    where: ChunkFilter | None,
) -> list[FileHit]:
    try:
        return await search_files(
            vectors, embedder, namespace, workspace_id, query, k=k, mode=mode, where=where
        )
    except NamespaceNotFoundError:
        return []
