"""The LanceDB store's queries, read with pylance (`lance`) rather than lancedb.

lancedb's Python package imports its remote client and the namespace API's generated
models whatever the connection (about 1 s of a cold `sourcesync search` on a 2-core
host); `lance` reads the same tables in a third of that. pylance is pinned to the Lance
release lancedb is built on (pyproject.toml), so both read the format and score BM25
alike: a query answers here exactly what lancedb's would (tests/stores/test_lance_reads.py).
Writes stay with lancedb.
"""

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sourcesync.stores.errors import NamespaceNotFoundError
from sourcesync.stores.lance_connection import use_system_arrow_pool
from sourcesync.stores.lance_tables import (
    DISTANCE_COLUMN,
    HIT_COLUMNS,
    KEYWORDS_COLUMN,
    SCORE_COLUMN,
    VECTOR_COLUMN,
    vector_dimension,
)

if TYPE_CHECKING:
    from lance import LanceDataset

__all__ = ["LanceReader"]


@dataclass(frozen=True, slots=True)
class _Snapshot:
    dataset: "LanceDataset"
    dimension: int
    checked_at: float
    """`time.monotonic()` when its version was last compared with the latest."""


class LanceReader:
    """Reads the tables of one LanceDB directory, each at its latest version.

    `read_consistency_interval` means what it means to lancedb: how old a table's version
    may be before a read looks for a newer one (zero: every read; `None`: never).
    """

    def __init__(self, path: Path, read_consistency_interval: timedelta | None) -> None:
        self._path = path
        self._interval = (
            None if read_consistency_interval is None else read_consistency_interval.total_seconds()
        )
        self._snapshots: dict[str, _Snapshot] = {}
        self._lock = threading.Lock()

    def dimension(self, namespace: str, name: str) -> int:
        """The vector dimension of table `name` (of `namespace`)."""
        return self._snapshot(namespace, name).dimension

    def nearest(
        self, namespace: str, name: str, vector: Sequence[float], k: int, query_filter: str
    ) -> list[dict[str, Any]]:
        """Rows of the `k` chunks nearest `vector` by cosine distance (exact: no ANN index)."""
        table = self._snapshot(namespace, name).dataset.to_table(
            columns=[*HIT_COLUMNS, DISTANCE_COLUMN],
            nearest={"column": VECTOR_COLUMN, "q": list(vector), "k": k, "metric": "cosine"},
            filter=query_filter,
            prefilter=True,
        )
        rows: list[dict[str, Any]] = table.to_pylist()
        return rows

    def matching(
        self, namespace: str, name: str, terms: str, k: int, query_filter: str
    ) -> list[dict[str, Any]]:
        """Rows of the `k` chunks whose keywords match `terms` best by BM25."""
        table = self._snapshot(namespace, name).dataset.to_table(
            columns=[*HIT_COLUMNS, SCORE_COLUMN],
            full_text_query={"query": terms, "columns": [KEYWORDS_COLUMN]},
            filter=query_filter,
            prefilter=True,
            limit=k,
        )
        rows: list[dict[str, Any]] = table.to_pylist()
        return rows

    def forget(self, name: str) -> None:
        """Drop what is held of table `name` (it was dropped)."""
        with self._lock:
            self._snapshots.pop(name, None)

    def _snapshot(self, namespace: str, name: str) -> _Snapshot:
        with self._lock:
            held = self._snapshots.get(name)
        now = time.monotonic()
        if held is not None and (self._interval is None or now - held.checked_at < self._interval):
            return held
        use_system_arrow_pool()
        import lance

        location = self._path / f"{name}.lance"
        try:
            if held is None:
                dataset = lance.dataset(str(location))
            else:
                latest = held.dataset.latest_version
                dataset = (
                    held.dataset
                    if latest == held.dataset.version
                    else held.dataset.checkout_version(latest)
                )
        except (ValueError, OSError):  # how Lance says "not found", opening or refreshing
            if (location / "_versions").is_dir():
                raise
            self.forget(name)
            raise NamespaceNotFoundError(namespace) from None
        snapshot = _Snapshot(dataset, vector_dimension(dataset.schema), now)
        with self._lock:
            self._snapshots[name] = snapshot
        return snapshot
