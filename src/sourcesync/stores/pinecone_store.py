"""`VectorStore` on Pinecone: one serverless index for vectors, one sparse index for keywords.

Each store is a namespace of both indexes (the original design's namespace per store); the
keyword index holds the same ids with BM25-style term weights (`sparse_keywords.py`), so one
store answers vector and keyword queries as LanceDB's does. Requests stay within Pinecone's
limits (`pinecone_records.py`) and run at most `concurrency` at a time; the SDK retries 429
and 5xx answers with backoff. The embedding cache is a local LanceDB table per namespace: a
cache, so each process may keep its own.
"""

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sourcesync.stores.base import ChunkFilter, ChunkRecord, SearchHit, StoreStats
from sourcesync.stores.errors import (
    DimensionMismatchError,
    NamespaceNotFoundError,
)
from sourcesync.stores.lance_connection import LanceConnection
from sourcesync.stores.lance_filters import glob_regex
from sourcesync.stores.lance_vector_cache import LanceVectorCache
from sourcesync.stores.pinecone_indexes import PineconeConfig, PineconeIndexes
from sourcesync.stores.pinecone_keywords import MAX_TOP_K_WITH_DATA, keyword_matches
from sourcesync.stores.pinecone_records import (
    MAX_VECTORS_PER_REQUEST,
    document_prefix,
    hit_from_match,
    is_chunk_of,
    metadata_filter,
    request_batches,
    vector_id,
    vector_metadata,
)
from sourcesync.stores.record_checks import check_documents, check_records
from sourcesync.stores.sparse_keywords import document_vector

if TYPE_CHECKING:
    from pinecone import AsyncIndex

__all__ = ["PineconeConfig", "PineconeVectorStore"]

T = TypeVar("T")

_FETCH_URL_BUDGET = 6_000
"""Characters of ids per fetch request: ids travel in the URL, which servers cap."""


class PineconeVectorStore:
    """A `VectorStore` kept in Pinecone; nothing of it lives in this process but a cache."""

    def __init__(self, config: PineconeConfig) -> None:
        if config.concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {config.concurrency}")
        self._config = config
        self._indexes = PineconeIndexes(config)
        self._cache_connection = LanceConnection(
            config.cache_dir, read_consistency_interval=None, reopen_every_writes=50
        )
        self._cache = LanceVectorCache(self._cache_connection)
        self._cached_namespaces: set[str] = set()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(index={self._config.index!r})"

    async def ensure(self, namespace: str, dimension: int) -> None:
        """Create or check both indexes; refuse one of another dimension or metric."""
        if dimension < 1:
            raise ValueError(f"dimension must be >= 1, got {dimension}")
        await self._indexes.ensure(namespace, dimension)
        await asyncio.to_thread(self._cache.ensure, namespace, dimension)
        self._cached_namespaces.add(namespace)

    async def _bounded(self, jobs: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
        """Run the jobs at most `concurrency` at a time; results in order."""
        slots = asyncio.Semaphore(self._config.concurrency)

        async def run(job: Callable[[], Awaitable[T]]) -> T:
            async with slots:
                return await job()

        return list(await asyncio.gather(*(run(job) for job in jobs)))

    async def upsert(self, namespace: str, records: Sequence[ChunkRecord]) -> None:
        """Insert the records, replacing any chunk with the same workspace and id."""
        if not records:
            return
        dense, sparse = await self._payloads(namespace, records)
        await self._write(namespace, dense, sparse)

    async def _payloads(
        self, namespace: str, records: Sequence[ChunkRecord]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        check_records(namespace, records, await self._indexes.dimension())
        dense: list[dict[str, Any]] = []
        sparse: list[dict[str, Any]] = []
        for record in records:
            identifier = vector_id(record)
            metadata = vector_metadata(record)
            dense.append({"id": identifier, "values": list(record.vector), "metadata": metadata})
            keywords = document_vector(identifier, record.keywords)
            if keywords is not None:
                sparse.append(
                    {
                        "id": identifier,
                        "sparse_values": {"indices": keywords.indices, "values": keywords.values},
                        "metadata": metadata,
                    }
                )
        return dense, sparse

    async def _write(
        self, namespace: str, dense: list[dict[str, Any]], sparse: list[dict[str, Any]]
    ) -> None:
        vectors = await self._indexes.client(self._indexes.vectors)
        keywords = await self._indexes.client(self._indexes.keywords)
        jobs: list[Callable[[], Awaitable[Any]]] = [
            _upsert_job(vectors, namespace, batch) for batch in request_batches(dense)
        ]
        jobs += [_upsert_job(keywords, namespace, batch) for batch in request_batches(sparse)]
        await self._bounded(jobs)

    async def replace_document_chunks(
        self,
        namespace: str,
        workspace_id: str,
        document_id: str,
        records: Sequence[ChunkRecord],
    ) -> None:
        """Make `records` the only chunks of the document."""
        await self.replace_documents_chunks(namespace, workspace_id, {document_id: records})

    async def replace_documents_chunks(
        self,
        namespace: str,
        workspace_id: str,
        chunks_by_document: Mapping[str, Sequence[ChunkRecord]],
        *,
        chunk_counts: Mapping[str, int] | None = None,
    ) -> None:
        """Write each document's records, then delete its chunks that are not among them.

        Writing first means a document is never without chunks while it is replaced. The
        old chunks of a document in `chunk_counts` are its ids from `#n` (its new count) to
        its old count; those of the others are listed (`_previous_ids`).
        """
        if not chunks_by_document:
            return
        check_documents(workspace_id, chunks_by_document)
        records = [record for chunk_list in chunks_by_document.values() for record in chunk_list]
        dense, sparse = await self._payloads(namespace, records)
        await self._write(namespace, dense, sparse)
        kept = {vector["id"] for vector in dense}
        previous = await self._previous_ids(
            namespace, workspace_id, list(chunks_by_document), chunk_counts or {}
        )
        stale = [identifier for identifier in previous if identifier not in kept]
        without_keywords = sorted(kept - {vector["id"] for vector in sparse})
        await self._delete_ids(namespace, stale, stale + without_keywords)

    async def delete_documents(
        self,
        namespace: str,
        workspace_id: str,
        document_ids: Collection[str],
        *,
        chunk_counts: Mapping[str, int] | None = None,
    ) -> int:
        """Delete every chunk of the documents; return how many chunks were deleted.

        By id, in requests of at most 1,000 ids: those the database knows (`chunk_counts`)
        and, for the other documents, those listed (`_previous_ids`).
        """
        if not document_ids:
            return 0
        ids = await self._previous_ids(
            namespace, workspace_id, sorted(set(document_ids)), chunk_counts or {}
        )
        await self._delete_ids(namespace, ids, ids)
        return len(ids)

    async def _previous_ids(
        self,
        namespace: str,
        workspace_id: str,
        document_ids: Sequence[str],
        chunk_counts: Mapping[str, int],
    ) -> list[str]:
        """The ids of the documents' chunks now in the index.

        Chunk ids are positional, so a document's count names them all. A document without
        a known count has its chunks listed by id prefix (one listing per document): the
        ids of documents whose rows are gone (retired by a migration), and any caller that
        has no count at hand.
        """
        known = [d for d in document_ids if d in chunk_counts]
        unknown = [d for d in document_ids if d not in chunk_counts]
        ids = [
            document_prefix(workspace_id, document_id) + str(n)
            for document_id in known
            for n in range(chunk_counts[document_id])
        ]
        return ids + (await self._chunk_ids(namespace, workspace_id, unknown) if unknown else [])

    async def _chunk_ids(
        self, namespace: str, workspace_id: str, document_ids: Collection[str]
    ) -> list[str]:
        """The ids of every chunk the documents have now, listed by their id prefix."""
        vectors = await self._indexes.client(self._indexes.vectors)

        def lister(prefix: str) -> Callable[[], Awaitable[list[str]]]:
            async def listed() -> list[str]:
                found: list[str] = []
                async for page in vectors.list(prefix=prefix, namespace=namespace):
                    found += [v.id for v in page.vectors if v.id and is_chunk_of(v.id, prefix)]
                return found

            return listed

        prefixes = [document_prefix(workspace_id, d) for d in document_ids]
        pages = await self._bounded([lister(prefix) for prefix in prefixes])
        return [identifier for page in pages for identifier in page]

    async def _delete_ids(self, namespace: str, dense: list[str], sparse: list[str]) -> None:
        jobs: list[Callable[[], Awaitable[Any]]] = []
        for name, ids in ((self._indexes.vectors, dense), (self._indexes.keywords, sparse)):
            index = await self._indexes.client(name)
            for start in range(0, len(ids), MAX_VECTORS_PER_REQUEST):
                batch = ids[start : start + MAX_VECTORS_PER_REQUEST]
                jobs.append(_delete_job(index, namespace, batch))
        await self._bounded(jobs)

    async def query(
        self,
        namespace: str,
        workspace_id: str,
        vector: Sequence[float],
        k: int = 10,
        *,
        where: ChunkFilter | None = None,
    ) -> list[SearchHit]:
        """The `k` chunks of the workspace nearest to `vector` by cosine similarity."""
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        dimension = await self._indexes.dimension()
        if len(vector) != dimension:
            raise DimensionMismatchError(namespace, dimension, len(vector), what="the query vector")
        index = await self._indexes.client(self._indexes.vectors)
        glob = _glob(where)
        answer = await index.query(
            namespace=namespace,
            top_k=MAX_TOP_K_WITH_DATA if glob else min(k, MAX_TOP_K_WITH_DATA),
            vector=list(vector),
            filter=metadata_filter(workspace_id, where),
            include_metadata=True,
        )
        hits: list[SearchHit] = []
        for match in answer.matches:
            metadata = match.metadata or {}
            if glob is None or glob.match(metadata.get("path", "")):
                hits.append(hit_from_match(metadata, min(1.0, max(0.0, match.score))))
        return hits[:k]

    async def keyword_query(
        self,
        namespace: str,
        workspace_id: str,
        terms: str,
        k: int = 10,
        *,
        where: ChunkFilter | None = None,
    ) -> list[SearchHit]:
        """The `k` chunks whose keywords best match `terms`, by BM25 (`pinecone_keywords.py`)."""
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        index = await self._indexes.client(self._indexes.keywords)
        glob = _glob(where)
        matches = await keyword_matches(
            index,
            namespace,
            terms,
            MAX_TOP_K_WITH_DATA if glob else k,
            metadata_filter(workspace_id, where),
            self._bounded,
        )
        hits = [
            hit_from_match(match.metadata, match.score)
            for match in matches
            if glob is None or glob.match(match.metadata.get("path", ""))
        ]
        return hits[:k]

    async def cached_vectors(
        self, namespace: str, hashes: Collection[str]
    ) -> dict[str, list[float]]:
        """Vectors this machine's embedding cache holds for these text hashes."""
        if not hashes:
            return {}
        return await asyncio.to_thread(self._cache.get, namespace, hashes)

    async def cache_vectors(self, namespace: str, vectors: Mapping[str, Sequence[float]]) -> None:
        """Keep `vectors` (by text hash) in this machine's embedding cache."""
        if not vectors:
            return
        if namespace not in self._cached_namespaces:
            # Another replica may have ensured the store: this machine's cache starts here.
            dimension = len(next(iter(vectors.values())))
            await asyncio.to_thread(self._cache.ensure, namespace, dimension)
            self._cached_namespaces.add(namespace)
        await asyncio.to_thread(self._cache.put, namespace, vectors)

    async def stats(self, namespace: str, workspace_id: str) -> StoreStats:
        """Count the workspace's chunks and documents: every id listed, its metadata fetched.

        Pinecone counts per namespace only, so this reads every chunk's metadata; it is
        meant for checks and tests, not for a hot path.
        """
        index = await self._indexes.client(self._indexes.vectors)
        ids: list[str] = []
        prefix = f"{len(workspace_id)}:{workspace_id}:"
        async for page in index.list(prefix=prefix, namespace=namespace):
            ids += [v.id for v in page.vectors if v.id]
        batches: list[list[str]] = [[]]
        for identifier in ids:
            if sum(len(i) for i in batches[-1]) + len(identifier) > _FETCH_URL_BUDGET:
                batches.append([])
            batches[-1].append(identifier)

        def fetcher(batch: list[str]) -> Callable[[], Awaitable[list[tuple[str, str]]]]:
            async def fetched() -> list[tuple[str, str]]:
                answer = await index.fetch(ids=batch, namespace=namespace)
                return [
                    (v.metadata["source_id"], v.metadata["document_id"])
                    for v in answer.vectors.values()
                    if v.metadata
                ]

            return fetched

        rows = [
            row for part in await self._bounded([fetcher(b) for b in batches if b]) for row in part
        ]
        chunks: dict[str, int] = {}
        documents: dict[str, set[str]] = {}
        for source_id, document_id in rows:
            chunks[source_id] = chunks.get(source_id, 0) + 1
            documents.setdefault(source_id, set()).add(document_id)
        return StoreStats(
            chunk_count=len(rows),
            document_count=len({document for _, document in rows}),
            chunks_by_source=chunks,
            documents_by_source={source: len(docs) for source, docs in documents.items()},
        )

    async def optimize(self, namespace: str) -> None:
        """Pinecone keeps its own indexes in shape; this compacts the local embedding cache."""
        await asyncio.to_thread(self._cache.optimize, namespace)

    async def check_reachable(self) -> None:
        """Pinecone's control plane answers with the vector index (it exists, the key works)."""
        await self._indexes.check_reachable()

    async def warm(self) -> None:
        """Open the local embedding cache (LanceDB); Pinecone itself is reached on first use."""
        await asyncio.to_thread(self._cache_connection.get)

    async def drop(self, namespace: str) -> None:
        """Delete the namespace from both indexes; a missing one is no error."""
        from pinecone import NotFoundError

        for name in (self._indexes.vectors, self._indexes.keywords):
            with contextlib.suppress(NotFoundError, NamespaceNotFoundError):
                index = await self._indexes.client(name)
                await index.delete_namespace(namespace=namespace)
        await asyncio.to_thread(self._cache.drop, namespace)
        self._cached_namespaces.discard(namespace)


def _glob(where: ChunkFilter | None) -> "re.Pattern[str] | None":
    """A path glob has no Pinecone filter: queries read the most matches and apply it."""
    if where is None or where.path_glob is None:
        return None
    return re.compile(glob_regex(where.path_glob))


def _upsert_job(
    index: "AsyncIndex", namespace: str, batch: list[dict[str, Any]]
) -> Callable[[], Awaitable[Any]]:
    async def job() -> Any:
        return await index.upsert(vectors=batch, namespace=namespace)

    return job


def _delete_job(
    index: "AsyncIndex", namespace: str, ids: list[str]
) -> Callable[[], Awaitable[Any]]:
    async def job() -> Any:
        return await index.delete(ids=ids, namespace=namespace)

    return job
