"""A LanceDB connection that is opened again every so many writes, to bound memory.

LanceDB's native memory grows with the writes made through one connection, by about
12 KB per chunk and embedding-cache entry written, and only a new connection gives it back
(measured with `LanceDBVectorStore` alone: compacting, pruning old versions, smaller index
and metadata caches and reopening tables on the same connection did not change the
growth; a new connection every 50 writes cut it to about a third: bench/RESULTS.md). So
after `reopen_every_writes` writes the connection is dropped, and tables opened through it
are opened again through the next one (`generation` says which connection a table came
from). Reads still running on an old table finish on it: it stays valid until released.
"""

import threading
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lancedb.db import DBConnection

__all__ = ["LanceConnection"]


class LanceConnection:
    """The connection to one LanceDB directory, made on first use; thread-safe."""

    def __init__(
        self,
        path: Path,
        *,
        read_consistency_interval: timedelta | None,
        reopen_every_writes: int | None,
    ) -> None:
        if reopen_every_writes is not None and reopen_every_writes < 1:
            raise ValueError(f"reopen_every_writes must be >= 1, got {reopen_every_writes}")
        self.path = path
        self._read_consistency_interval = read_consistency_interval
        self._reopen_every_writes = reopen_every_writes
        self._connection: DBConnection | None = None
        self._writes = 0
        self._lock = threading.Lock()
        self.generation = 0
        """Incremented whenever the connection is dropped: tables of an older one are stale."""

    def get(self) -> "DBConnection":
        with self._lock:
            if self._connection is None:
                import lancedb

                self.path.mkdir(parents=True, exist_ok=True)
                self._connection = lancedb.connect(
                    self.path, read_consistency_interval=self._read_consistency_interval
                )
            return self._connection

    def count_write(self) -> None:
        """Count a write made through the connection; drop it after `reopen_every_writes`."""
        with self._lock:
            self._writes += 1
            every = self._reopen_every_writes
            if every is not None and self._writes >= every:
                self._connection = None
                self._writes = 0
                self.generation += 1
