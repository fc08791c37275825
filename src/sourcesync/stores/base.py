"""The `VectorStore` protocol and the records that travel through it."""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeAlias

JSONValue: TypeAlias = str | int | float | bool | list["JSONValue"] | dict[str, "JSONValue"] | None
"""A value that survives a JSON round trip unchanged."""


def chunk_id(document_id: str, index: int) -> str:
    """Return the id of chunk `index` of a document: `{document_id}#{index}`.

    Ids are positional so that re-processing a document overwrites its chunks instead of
    adding new ones.
    """
    if index < 0:
        raise ValueError(f"chunk index must be >= 0, got {index}")
    return f"{document_id}#{index}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChunkRecord:
    """One embedded chunk of a document, as written to a vector store.

    A chunk is identified by `(workspace_id, id)`: two workspaces may sync the same
    repository into one namespace without overwriting each other's chunks.
    """

    id: str
    document_id: str
    workspace_id: str
    source_id: str
    source_type: str
    text: str
    vector: Sequence[float]
    title: str | None = None
    url: str | None = None
    path: str | None = None
    metadata: Mapping[str, JSONValue] = field(default_factory=dict)
    keywords: str = ""
    """What the keyword index reads for this chunk (`sourcesync.search.keywords`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChunkFilter:
    """Which chunks a query may return, besides the workspace's own.

    `path_glob` matches the whole path: `*` and `?` stay within one folder, `**` crosses
    folders, and a glob without a `/` matches the file name in any folder (`*.py`).
    """

    source_id: str | None = None
    source_type: str | None = None
    path_glob: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchHit:
    """A chunk returned by a query.

    `score` is higher for better matches: for a vector query, the cosine similarity of the
    chunk to the query vector clamped to [0, 1]; for a keyword query, its BM25 score.
    """

    id: str
    document_id: str
    source_id: str
    source_type: str
    text: str
    score: float
    title: str | None = None
    url: str | None = None
    path: str | None = None
    metadata: Mapping[str, JSONValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreStats:
    """What one workspace holds in one namespace."""

    chunk_count: int
    document_count: int
    chunks_by_source: Mapping[str, int] = field(default_factory=dict)
    documents_by_source: Mapping[str, int] = field(default_factory=dict)


class VectorStore(Protocol):
    """A store of embedded chunks, one table per namespace.

    Every read and write that touches chunks is scoped to one workspace: no method returns,
    changes or deletes a chunk of another workspace.
    """

    async def ensure(self, namespace: str, dimension: int) -> None:
        """Create the namespace's table for vectors of `dimension`, if it does not exist.

        Safe to call again and concurrently. Raises `DimensionMismatchError` when the table
        exists with another dimension.
        """
        ...

    async def upsert(self, namespace: str, records: Sequence[ChunkRecord]) -> None:
        """Insert the records, replacing any chunk with the same workspace and id."""
        ...

    async def replace_document_chunks(
        self,
        namespace: str,
        workspace_id: str,
        document_id: str,
        records: Sequence[ChunkRecord],
    ) -> None:
        """Make `records` the only chunks of the document, atomically.

        Chunks of the document that are not in `records` (a document re-chunked into fewer
        pieces) are deleted; an empty `records` deletes every chunk of the document.
        """
        ...

    async def replace_documents_chunks(
        self,
        namespace: str,
        workspace_id: str,
        chunks_by_document: Mapping[str, Sequence[ChunkRecord]],
        *,
        chunk_counts: Mapping[str, int] | None = None,
    ) -> None:
        """``replace_document_chunks`` for many documents, in one write.

        `chunk_counts` are how many chunks some of the documents had before, as the
        database knows them (chunk ids are positional, so those ids are known); a store
        that must name what it deletes deletes those ids and finds the other documents'
        chunks itself.
        """
        ...

    async def delete_documents(
        self,
        namespace: str,
        workspace_id: str,
        document_ids: Collection[str],
        *,
        chunk_counts: Mapping[str, int] | None = None,
    ) -> int:
        """Delete every chunk of the documents; return how many chunks were deleted.

        `chunk_counts` are how many chunks some of the documents have, as the database
        knows them (see `replace_documents_chunks`); for those, the count is what is returned.
        """
        ...

    async def query(
        self,
        namespace: str,
        workspace_id: str,
        vector: Sequence[float],
        k: int = 10,
        *,
        where: ChunkFilter | None = None,
    ) -> list[SearchHit]:
        """Return the `k` chunks of the workspace nearest to `vector`, nearest first."""
        ...

    async def keyword_query(
        self,
        namespace: str,
        workspace_id: str,
        terms: str,
        k: int = 10,
        *,
        where: ChunkFilter | None = None,
    ) -> list[SearchHit]:
        """Return the `k` chunks whose keywords best match `terms` (BM25), best first.

        `terms` are space-separated, as `sourcesync.search.keywords` writes them. A store
        without a keyword index of its own pairs with one that has (Pinecone with a
        full-text index beside it).
        """
        ...

    async def cached_vectors(
        self, namespace: str, hashes: Collection[str]
    ) -> dict[str, list[float]]:
        """Vectors the namespace's embedding cache holds, by the hash of the text embedded.

        The cache outlives the chunks: a file moved or deleted and restored finds its
        vectors there. Callers choose the hash (`sourcesync.search.indexing.text_hash`).
        """
        ...

    async def cache_vectors(self, namespace: str, vectors: Mapping[str, Sequence[float]]) -> None:
        """Keep `vectors` (by text hash) in the namespace's embedding cache.

        Callers put the hashes `cached_vectors` did not find; a hash put twice (two batches
        embedding one text at once) holds the same vector, and is read back once.
        """
        ...

    async def stats(self, namespace: str, workspace_id: str) -> StoreStats:
        """Count the workspace's chunks and documents in the namespace."""
        ...

    async def optimize(self, namespace: str) -> None:
        """Compact the namespace's table, prune old versions and bring indexes up to date."""
        ...

    async def check_reachable(self) -> None:
        """Raise when the store cannot be reached (for readiness probes); cheap."""
        ...

    async def warm(self) -> None:
        """Load the store's libraries and open its local files now, so that a process that
        will sync pays for them before its first batch, not during it (importing LanceDB
        alone takes about a second). Reaches no remote service."""
        ...

    async def drop(self, namespace: str) -> None:
        """Delete the namespace's table and everything in it; a missing table is no error."""
        ...
