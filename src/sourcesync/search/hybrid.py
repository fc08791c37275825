"""One search: vector and keyword rankings of chunks, fused into a ranking of files."""

import asyncio
from collections.abc import Sequence
from enum import StrEnum

# The two searches below start together on worker threads, and in a fresh process each
# imports numpy for the first time (the embedder through onnxruntime, the store through
# pyarrow); numpy's extension module imported from two threads at once can fail with
# "partially initialized module" (seen in cold `sourcesync search`). Imported here, in
# the thread that imports this module, it is whole before either search starts.
import numpy  # noqa: F401

from sourcesync.embeddings import Embedder
from sourcesync.search.keywords import keyword_terms
from sourcesync.search.ranking import FileHit, Fusion, fuse_files
from sourcesync.stores import ChunkFilter, SearchHit, VectorStore

__all__ = ["DEFAULT_FUSION", "SearchMode", "search_files"]

DEFAULT_FUSION = Fusion()


class SearchMode(StrEnum):
    HYBRID = "hybrid"
    """Vectors and keywords, fused: the default."""
    VECTOR = "vector"
    """By meaning only."""
    KEYWORD = "keyword"
    """By words only (BM25 over code-aware terms); needs no embedder."""


async def search_files(
    store: VectorStore,
    embedder: Embedder | None,
    namespace: str,
    workspace_id: str,
    query: str,
    *,
    k: int = 5,
    mode: SearchMode = SearchMode.HYBRID,
    where: ChunkFilter | None = None,
    fusion: Fusion = DEFAULT_FUSION,
) -> list[FileHit]:
    """The `k` files of the workspace that best answer `query`, best first.

    Without an embedder (`None`), only keywords are searched, whatever `mode` says.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    depth = max(fusion.depth, k * fusion.chunks_per_file)
    searches: list[asyncio.Future[list[SearchHit]]] = []
    weights: list[float] = []
    if embedder is not None and mode != SearchMode.KEYWORD:
        searches.append(
            asyncio.ensure_future(
                _vector_hits(store, embedder, namespace, workspace_id, query, depth, where)
            )
        )
        weights.append(fusion.vector_weight)
    if embedder is None or mode != SearchMode.VECTOR:
        terms = keyword_terms(query)
        searches.append(
            asyncio.ensure_future(
                store.keyword_query(namespace, workspace_id, terms, depth, where=where)
            )
        )
        weights.append(fusion.keyword_weight)
    rankings: Sequence[list[SearchHit]] = await asyncio.gather(*searches)
    return fuse_files(list(zip(rankings, weights, strict=True)), fusion, k)


async def _vector_hits(
    store: VectorStore,
    embedder: Embedder,
    namespace: str,
    workspace_id: str,
    query: str,
    depth: int,
    where: ChunkFilter | None,
) -> list[SearchHit]:
    [vector] = await embedder.embed([query])
    return await store.query(namespace, workspace_id, vector, depth, where=where)
