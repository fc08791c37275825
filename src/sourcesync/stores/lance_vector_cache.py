"""The embedding cache of a LanceDB store: one table of vectors by text hash per namespace.

Chunks come and go with their documents; this cache does not, so a file that moved (its
old chunks deleted before the new ones are embedded) or a text that another source holds
too is embedded once per namespace, that is once per workspace and model. Entries are
never removed but with the namespace: a cache of what was embedded costs a vector per
distinct text, which is what the store held at its largest.
"""

import contextlib
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from sourcesync.stores import lance_filters as sql
from sourcesync.stores.lance_connection import LanceConnection
from sourcesync.stores.lance_tables import (
    TEXT_HASH_COLUMN,
    VECTOR_COLUMN,
    cache_schema,
    cache_table_name,
)

if TYPE_CHECKING:
    from lancedb.table import Table

__all__ = ["LanceVectorCache"]

_IN_FILTER_BATCH = 500
_COMPACT_EVERY_WRITES = 100


class LanceVectorCache:
    """Vectors by text hash, beside a namespace's chunks; every method blocks."""

    def __init__(self, connection: LanceConnection) -> None:
        self._connection = connection
        self._tables: dict[str, tuple[int, Table]] = {}
        """Open tables, with the connection's generation they were opened through."""
        self._writes: dict[str, int] = {}
        self._lock = threading.Lock()

    def ensure(self, namespace: str, dimension: int) -> None:
        """Create the namespace's cache table and its index, if missing."""
        from lancedb.index import BTree

        with self._lock:
            generation = self._connection.generation
            table = self._connection.get().create_table(
                cache_table_name(namespace), schema=cache_schema(dimension), exist_ok=True
            )
            if not table.list_indices():
                table.create_index(TEXT_HASH_COLUMN, config=BTree())
            self._tables[namespace] = (generation, table)

    def get(self, namespace: str, hashes: Iterable[str]) -> dict[str, list[float]]:
        table = self._open(namespace)
        if table is None:
            return {}
        found: dict[str, list[float]] = {}
        for batch in sql.batched(sorted(set(hashes)), _IN_FILTER_BATCH):
            rows = (
                table.search()
                .where(sql.is_in(TEXT_HASH_COLUMN, batch))
                .select([TEXT_HASH_COLUMN, VECTOR_COLUMN])
                .limit(None)
                .to_arrow()
            )
            found.update(
                zip(
                    rows[TEXT_HASH_COLUMN].to_pylist(), rows[VECTOR_COLUMN].to_pylist(), strict=True
                )
            )
        return found

    def put(self, namespace: str, vectors: Mapping[str, Sequence[float]]) -> None:
        table = self._open(namespace)
        if table is None or not vectors:
            return
        import pyarrow as pa

        dimension = int(table.schema.field(VECTOR_COLUMN).type.list_size)
        rows = [{TEXT_HASH_COLUMN: key, VECTOR_COLUMN: list(v)} for key, v in vectors.items()]
        data = pa.Table.from_pylist(rows, schema=cache_schema(dimension))
        with self._lock:
            # Callers put what `get` did not find: a plain append, several times cheaper
            # than a merge. Two batches that embedded the same text at once each add a
            # row; `get` keeps one, and both hold the same vector.
            table.add(data)
            self._connection.count_write()
            self._writes[namespace] = self._writes.get(namespace, 0) + 1
            if self._writes[namespace] >= _COMPACT_EVERY_WRITES:
                table.optimize()
                self._writes[namespace] = 0

    def optimize(self, namespace: str) -> None:
        table = self._open(namespace)
        if table is not None:
            with self._lock:
                table.optimize()
                self._writes[namespace] = 0

    def drop(self, namespace: str) -> None:
        with self._lock:
            with contextlib.suppress(ValueError):  # LanceDB's error for a missing table
                self._connection.get().drop_table(cache_table_name(namespace))
            self._tables.pop(namespace, None)

    def _open(self, namespace: str) -> "Table | None":
        """The cache table, or None for a namespace made before caches existed (until ensured)."""
        generation = self._connection.generation
        cached = self._tables.get(namespace)
        if cached is not None and cached[0] == generation:
            return cached[1]
        try:
            table = self._connection.get().open_table(cache_table_name(namespace))
        except ValueError:
            return None
        self._tables[namespace] = (generation, table)
        return table
