"""One SQLite connection (WAL) to a state file, its lock, and its transactions.

One engine owns one state file (an exclusive lock file beside it). All access happens on
the engine's event-loop thread, so a single connection with explicit transactions is
both safe and fast; SQLite's WAL keeps every committed transaction across a SIGKILL.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import StateLockedError
from .schema import migrate


def dumps(value: Any) -> str:
    """Compact JSON, the form every stored payload takes."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


class Connection:
    """The connection every query group of the store shares. Use it from one thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock_file: int | None = None
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._acquire_lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        # One engine owns the file (the lock file above), so SQLite may keep its locks for
        # the connection's life instead of taking them per transaction; set before WAL is
        # first used, this also keeps the WAL index in memory (no -shm file).
        self._db.execute("PRAGMA locking_mode=EXCLUSIVE")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._depth = 0
        # Counter increments of the open transaction, written once as it commits: the
        # scheduler applies many step results in one transaction, each counting a step.
        self._pending_counts: dict[str, int] = {}
        try:
            migrate(self._db, self.path)
        except BaseException:
            self.close()
            raise

    def _acquire_lock(self) -> None:
        descriptor = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(descriptor)
            raise StateLockedError(self.path) from exc
        os.ftruncate(descriptor, 0)
        os.write(descriptor, str(os.getpid()).encode())
        self._lock_file = descriptor

    def close(self) -> None:
        self._db.close()
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            os.close(self._lock_file)
            self._lock_file = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction; nested uses join the outermost one."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
            self._add_counts(self._pending_counts)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")
        finally:
            self._depth = 0
            self._pending_counts = {}

    def _add_counts(self, counts: dict[str, int]) -> None:
        if counts:
            self._db.executemany(
                "INSERT INTO counters(name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
                list(counts.items()),
            )

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self._db.execute(sql, params).fetchone()
        return row

    def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._db.execute(sql, params).fetchall()
