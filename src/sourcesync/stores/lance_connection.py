"""A LanceDB connection that is opened again every so many writes, to bound memory.

LanceDB's native memory grows with the writes made through one connection, by about
12 KB per chunk and embedding-cache entry written (measured with `LanceDBVectorStore`
alone: bench/RESULTS.md). Two things hold it, and bounding it takes both:

- the connection: only a new one gives its part back (compacting, pruning old versions,
  smaller index and metadata caches, reopening tables on the same connection: no change).
  So after `reopen_every_writes` writes the connection is dropped, and tables opened
  through it are opened again through the next one (`generation` says which connection a
  table came from); reads still running on an old table finish on it.
- glibc's malloc, which gives each of LanceDB's many threads an arena of its own (up to 8
  per core) and keeps what they free. Before the process's first connection is made,
  `limit_malloc_arenas` caps them at 2 (`mallopt(M_ARENA_MAX)`, what `MALLOC_ARENA_MAX=2`
  does), unless `MALLOC_ARENA_MAX` is set; elsewhere than glibc it does nothing.

Together, RSS stayed within 276-313 MB from 16,000 to 40,000 chunks (722 MB at 40,000 with
neither); either alone only slowed the growth.

pyarrow's own allocations (the tables a write builds, what a read converts) go to its
default memory pool, mimalloc in the wheels this project installs. 20,000 files into a
sync (about 250 threads in the process), mimalloc kept about 600 MiB resident in its 1 GiB
reservation, over half the RSS, where malloc holds under 100 MiB in use for the whole
process once pyarrow uses it. `use_system_arrow_pool` makes pyarrow allocate with the
C library's malloc (its arenas capped as above) before lancedb or lance is imported,
unless `ARROW_DEFAULT_MEMORY_POOL` chooses a pool.

What malloc then holds in use stays flat through a sync (84-102 MiB from 5,000 to
30,000 files), but it keeps pages that were freed, and those grew by about 40 MiB over
25,000 files. So each time the connection is dropped, `trim_malloc` hands them back.
"""

import ctypes
import functools
import os
import threading
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lancedb.db import DBConnection

__all__ = ["LanceConnection", "limit_malloc_arenas", "trim_malloc", "use_system_arrow_pool"]

_M_ARENA_MAX = -8
"""glibc's `mallopt` parameter for the most arenas (malloc.h)."""
_MALLOC_ARENAS = 2
_arenas_limited = False
_arenas_lock = threading.Lock()


def limit_malloc_arenas() -> None:
    """Cap glibc's malloc arenas for this process, once (see above)."""
    global _arenas_limited
    with _arenas_lock:
        if _arenas_limited or "MALLOC_ARENA_MAX" in os.environ:
            return
        _arenas_limited = True
        mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # the C library's, if any
        if mallopt is not None:  # glibc
            mallopt(_M_ARENA_MAX, _MALLOC_ARENAS)


def trim_malloc() -> None:
    """Give the pages malloc holds free back to the system (glibc's `malloc_trim`; elsewhere
    nothing): see above."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is not None:
        trim(0)


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None)  # the C library's symbols, among the process's


@functools.cache
def use_system_arrow_pool() -> None:
    """Make the C library's malloc pyarrow's default memory pool, once (see above)."""
    if "ARROW_DEFAULT_MEMORY_POOL" in os.environ:
        return
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


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
        limit_malloc_arenas()
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
                use_system_arrow_pool()
                import lancedb

                self.path.mkdir(parents=True, exist_ok=True)
                self._connection = lancedb.connect(
                    self.path, read_consistency_interval=self._read_consistency_interval
                )
            return self._connection

    def count_write(self) -> None:
        """Count a write made through the connection; drop it after `reopen_every_writes`,
        and give back the memory malloc holds free (`trim_malloc`)."""
        with self._lock:
            self._writes += 1
            every = self._reopen_every_writes
            if every is None or self._writes < every:
                return
            self._connection = None
            self._writes = 0
            self.generation += 1
        trim_malloc()
