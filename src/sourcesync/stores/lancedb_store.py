"""`VectorStore` on LanceDB: a directory of tables, one per namespace.

Each table also holds a full-text (BM25) index over the chunks' keywords, so one store
answers vector and keyword queries. Queries read the tables with pylance
(`lance_reads`), writes go through lancedb, imported when a table is first written: a
command that writes no vectors never pays for it.
"""

import asyncio
import contextlib
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sourcesync.stores import lance_filters as sql
from sourcesync.stores.base import ChunkFilter, ChunkRecord, SearchHit, StoreStats
from sourcesync.stores.errors import (
    DimensionMismatchError,
    NamespaceNotFoundError,
)
from sourcesync.stores.lance_connection import LanceConnection
from sourcesync.stores.lance_reads import LanceReader
from sourcesync.stores.lance_tables import (
    MERGE_KEY,
    MISSING_COLUMNS,
    chunk_schema,
    hit_from_row,
    records_to_arrow,
    table_indexes,
    table_name,
    vector_dimension,
)
from sourcesync.stores.lance_vector_cache import LanceVectorCache
from sourcesync.stores.record_checks import check_documents, check_records

if TYPE_CHECKING:
    from lancedb.db import DBConnection
    from lancedb.table import Table

_IN_FILTER_BATCH = 500


@dataclass(slots=True)
class _OpenTable:
    table: "Table"
    dimension: int
    writes_since_optimize: int = 0
    generation: int = 0
    """The connection's generation the table was opened through (`LanceConnection`)."""


class LanceDBVectorStore:
    """A `VectorStore` kept in a local LanceDB directory.

    LanceDB's Python API blocks, so every call runs in a worker thread. Writes to one table
    are serialized: concurrent merge-inserts of the same new id would each insert a row
    (LanceDB does not detect that conflict), and serial commits keep versions in order. Reads
    run concurrently on a snapshot.

    Every write adds a table version and a data fragment, so after `optimize_every_writes`
    writes to a table the store compacts it and prunes versions older than
    `keep_versions_for` (long enough for queries that are still reading an old version).
    After `reopen_every_writes` writes (chunks and embedding cache together) it opens a new
    connection, which bounds LanceDB's native memory (`lance_connection.py`).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        optimize_every_writes: int | None = 100,
        keep_versions_for: timedelta = timedelta(hours=1),
        read_consistency_interval: timedelta | None = timedelta(0),
        reopen_every_writes: int | None = 50,
    ) -> None:
        """Open (creating if needed) the LanceDB directory at `path`.

        `read_consistency_interval` is how stale a read may be with respect to writes made by
        other processes (for instance an API server reading what workers wrote); zero checks
        for a newer version on every read, which is cheap on a local disk. `None` never
        checks. Writes made through this store are always visible to it.
        """
        if optimize_every_writes is not None and optimize_every_writes < 1:
            raise ValueError(f"optimize_every_writes must be >= 1, got {optimize_every_writes}")
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._connection = LanceConnection(
            self.path,
            read_consistency_interval=read_consistency_interval,
            reopen_every_writes=reopen_every_writes,
        )
        self._cache = LanceVectorCache(self._connection)
        self._reader = LanceReader(self.path, read_consistency_interval)
        self._optimize_every_writes = optimize_every_writes
        self._keep_versions_for = keep_versions_for
        self._tables: dict[str, _OpenTable] = {}
        self._write_locks: dict[str, threading.Lock] = {}
        self._write_locks_guard = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    @property
    def _db(self) -> "DBConnection":
        return self._connection.get()

    async def ensure(self, namespace: str, dimension: int) -> None:
        """Create the namespace's table and its scalar indexes, if missing."""
        if dimension < 1:
            raise ValueError(f"dimension must be >= 1, got {dimension}")
        await asyncio.to_thread(self._ensure_blocking, namespace, dimension)

    async def upsert(self, namespace: str, records: Sequence[ChunkRecord]) -> None:
        """Insert the records, replacing any chunk with the same workspace and id."""
        if records:
            await asyncio.to_thread(self._merge_blocking, namespace, records, None)

    async def replace_document_chunks(
        self,
        namespace: str,
        workspace_id: str,
        document_id: str,
        records: Sequence[ChunkRecord],
    ) -> None:
        """Make `records` the only chunks of the document, in one commit."""
        await self.replace_documents_chunks(namespace, workspace_id, {document_id: records})

    async def replace_documents_chunks(
        self,
        namespace: str,
        workspace_id: str,
        chunks_by_document: Mapping[str, Sequence[ChunkRecord]],
        *,
        chunk_counts: Mapping[str, int] | None = None,
    ) -> None:
        """Make each document's records its only chunks, for many documents in one commit.

        One commit per batch of documents instead of one per document keeps table versions,
        and the time spent writing, small when a sync stores thousands of files. A filter
        on the documents finds their old chunks exactly: `chunk_counts` are not needed.
        """
        if not chunks_by_document:
            return
        records = [record for chunk_list in chunks_by_document.values() for record in chunk_list]
        check_documents(workspace_id, chunks_by_document)
        documents_filter = sql.all_of(
            sql.equals("workspace_id", workspace_id),
            sql.is_in("document_id", sorted(chunks_by_document)),
        )
        if records:
            await asyncio.to_thread(self._merge_blocking, namespace, records, documents_filter)
        else:
            await asyncio.to_thread(self._delete_blocking, namespace, [documents_filter])

    async def delete_documents(
        self,
        namespace: str,
        workspace_id: str,
        document_ids: Collection[str],
        *,
        chunk_counts: Mapping[str, int] | None = None,
    ) -> int:
        """Delete every chunk of the documents (found by a filter: `chunk_counts` are not
        needed); return how many chunks were deleted."""
        workspace_filter = sql.equals("workspace_id", workspace_id)
        filters = [
            sql.all_of(workspace_filter, sql.is_in("document_id", batch))
            for batch in sql.batched(sorted(set(document_ids)), _IN_FILTER_BATCH)
        ]
        if not filters:
            return 0
        return await asyncio.to_thread(self._delete_blocking, namespace, filters)

    async def query(
        self,
        namespace: str,
        workspace_id: str,
        vector: Sequence[float],
        k: int = 10,
        *,
        where: ChunkFilter | None = None,
    ) -> list[SearchHit]:
        """Return the `k` chunks of the workspace nearest to `vector` by cosine distance."""
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        return await asyncio.to_thread(
            self._query_blocking, namespace, list(vector), k, sql.chunk_filter(workspace_id, where)
        )

    async def keyword_query(
        self,
        namespace: str,
        workspace_id: str,
        terms: str,
        k: int = 10,
        *,
        where: ChunkFilter | None = None,
    ) -> list[SearchHit]:
        """Return the `k` chunks whose keywords match `terms` best by BM25."""
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        if not terms.strip():
            return []
        return await asyncio.to_thread(
            self._keyword_query_blocking, namespace, terms, k, sql.chunk_filter(workspace_id, where)
        )

    async def cached_vectors(
        self, namespace: str, hashes: Collection[str]
    ) -> dict[str, list[float]]:
        """Vectors the namespace's embedding cache holds for these text hashes."""
        if not hashes:
            return {}
        return await asyncio.to_thread(self._cache.get, namespace, hashes)

    async def cache_vectors(self, namespace: str, vectors: Mapping[str, Sequence[float]]) -> None:
        """Keep `vectors` (by text hash) in the namespace's embedding cache."""
        if vectors:
            await asyncio.to_thread(self._cache.put, namespace, vectors)

    async def stats(self, namespace: str, workspace_id: str) -> StoreStats:
        """Count the workspace's chunks and documents, in total and per source."""
        return await asyncio.to_thread(
            self._stats_blocking, namespace, sql.equals("workspace_id", workspace_id)
        )

    async def optimize(self, namespace: str) -> None:
        """Compact the table, prune versions older than `keep_versions_for`, update indexes."""
        await asyncio.to_thread(self._optimize_blocking, namespace)

    async def check_reachable(self) -> None:
        """The directory is there and readable."""
        await asyncio.to_thread(self._db.list_tables)

    async def warm(self) -> None:
        """Import LanceDB and connect to the directory."""
        await asyncio.to_thread(lambda: self._db)

    async def drop(self, namespace: str) -> None:
        """Delete the namespace's table; a missing table is no error."""
        await asyncio.to_thread(self._drop_blocking, namespace)

    def _write_lock(self, name: str) -> threading.Lock:
        with self._write_locks_guard:
            return self._write_locks.setdefault(name, threading.Lock())

    def _open(self, namespace: str) -> _OpenTable:
        name = table_name(namespace)
        cached = self._tables.get(name)
        generation = self._connection.generation
        if cached is not None and cached.generation == generation:
            return cached
        try:
            table = self._db.open_table(name)
        except ValueError:  # LanceDB's error for a table that does not exist
            raise NamespaceNotFoundError(namespace) from None
        if cached is not None:  # opened again through a new connection: same table
            cached.table, cached.generation = table, generation
            return cached
        opened = _OpenTable(table, vector_dimension(table.schema), generation=generation)
        return self._tables.setdefault(name, opened)

    def _ensure_blocking(self, namespace: str, dimension: int) -> None:
        name = table_name(namespace)
        with self._write_lock(name):
            try:
                opened = self._open(namespace)
            except NamespaceNotFoundError:
                opened = self._create(name, dimension)
            if opened.dimension != dimension:
                raise DimensionMismatchError(
                    namespace, opened.dimension, dimension, what="the requested dimension"
                )
            missing = {
                column: fill
                for column, fill in MISSING_COLUMNS.items()
                if column not in opened.table.schema.names
            }
            if missing:  # a table made before these columns existed
                opened.table.add_columns(missing)
            indexed = {tuple(index.columns) for index in opened.table.list_indices()}
            for column, index_config in table_indexes().items():
                if (column,) not in indexed:
                    opened.table.create_index(column, config=index_config)
        self._cache.ensure(namespace, dimension)

    def _create(self, name: str, dimension: int) -> _OpenTable:
        try:
            table = self._db.create_table(name, schema=chunk_schema(dimension), exist_ok=True)
        except ValueError:
            # Another process created the table, with another schema, since `_open` looked.
            table = self._db.open_table(name)
        opened = _OpenTable(
            table, vector_dimension(table.schema), generation=self._connection.generation
        )
        self._tables[name] = opened
        return opened

    def _merge_blocking(
        self, namespace: str, records: Sequence[ChunkRecord], delete_unmatched: str | None
    ) -> None:
        opened = self._open(namespace)
        check_records(namespace, records, opened.dimension)
        data = records_to_arrow(records, opened.dimension)
        if delete_unmatched is None:
            existing = sql.all_of(
                sql.is_in("workspace_id", sorted({r.workspace_id for r in records})),
                sql.is_in("document_id", sorted({r.document_id for r in records})),
            )
            with self._write_lock(table_name(namespace)):
                # None of these documents has chunks yet (the usual first sync): a plain
                # append is much cheaper than a merge, and the check under the lock keeps
                # a retried write from duplicating anything.
                if opened.table.count_rows(existing) == 0:
                    opened.table.add(data)
                    self._count_write(opened)
                    return
        merge = (
            opened.table.merge_insert(list(MERGE_KEY))
            .when_matched_update_all()
            .when_not_matched_insert_all()
        )
        if delete_unmatched is not None:
            merge = merge.when_not_matched_by_source_delete(delete_unmatched)
        with self._write_lock(table_name(namespace)):
            merge.execute(data)
            self._count_write(opened)

    def _delete_blocking(self, namespace: str, filters: Sequence[str]) -> int:
        opened = self._open(namespace)
        deleted = 0
        with self._write_lock(table_name(namespace)):
            for delete_filter in filters:
                # Counting first is exact under the lock, and skips a version when nothing matches.
                matching = opened.table.count_rows(delete_filter)
                if matching:
                    opened.table.delete(delete_filter)
                    self._count_write(opened)
                    deleted += matching
        return deleted

    def _query_blocking(
        self, namespace: str, vector: list[float], k: int, query_filter: str
    ) -> list[SearchHit]:
        name = table_name(namespace)
        dimension = self._reader.dimension(namespace, name)
        if len(vector) != dimension:
            raise DimensionMismatchError(namespace, dimension, len(vector), what="the query vector")
        rows = self._reader.nearest(namespace, name, vector, k, query_filter)
        return [hit_from_row(row) for row in rows]

    def _keyword_query_blocking(
        self, namespace: str, terms: str, k: int, query_filter: str
    ) -> list[SearchHit]:
        rows = self._reader.matching(namespace, table_name(namespace), terms, k, query_filter)
        return [hit_from_row(row) for row in rows]

    def _stats_blocking(self, namespace: str, workspace_filter: str) -> StoreStats:
        import pyarrow.compute as pc

        opened = self._open(namespace)
        rows = (
            opened.table.search()
            .where(workspace_filter)
            .select(["document_id", "source_id"])
            .limit(None)
            .to_arrow()
        )
        per_source = rows.group_by("source_id").aggregate(
            [("document_id", "count"), ("document_id", "count_distinct")]
        )
        sources = per_source["source_id"].to_pylist()
        return StoreStats(
            chunk_count=rows.num_rows,
            document_count=int(pc.count_distinct(rows["document_id"]).as_py()),
            chunks_by_source=dict(
                zip(sources, per_source["document_id_count"].to_pylist(), strict=True)
            ),
            documents_by_source=dict(
                zip(sources, per_source["document_id_count_distinct"].to_pylist(), strict=True)
            ),
        )

    def _optimize_blocking(self, namespace: str) -> None:
        opened = self._open(namespace)
        with self._write_lock(table_name(namespace)):
            self._compact(opened)
        self._cache.optimize(namespace)

    def _drop_blocking(self, namespace: str) -> None:
        name = table_name(namespace)
        with self._write_lock(name):
            with contextlib.suppress(ValueError):  # LanceDB's error for a missing table
                self._db.drop_table(name)
            self._tables.pop(name, None)
            self._reader.forget(name)
        self._cache.drop(namespace)

    def _count_write(self, opened: _OpenTable) -> None:
        """Count a write to `opened`, compacting it every `optimize_every_writes` writes.

        The caller holds the table's write lock.
        """
        self._connection.count_write()
        opened.writes_since_optimize += 1
        every = self._optimize_every_writes
        if every is not None and opened.writes_since_optimize >= every:
            self._compact(opened)

    def _compact(self, opened: _OpenTable) -> None:
        opened.table.optimize(cleanup_older_than=self._keep_versions_for)
        opened.writes_since_optimize = 0
