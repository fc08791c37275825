"""Durable engine state in SQLite (WAL): events, runs, memoized steps, queue, waits, timers.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import StateLockedError, StateVersionError

SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS apps (
    url TEXT PRIMARY KEY, app_id TEXT NOT NULL, sdk TEXT, framework TEXT,
    synced_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS functions (
    id TEXT PRIMARY KEY, app_url TEXT NOT NULL, config TEXT NOT NULL, cron_next_at INTEGER);
CREATE TABLE IF NOT EXISTS events (
    internal_id TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    body TEXT NOT NULL, received_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_name ON events(name, internal_id);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, function_id TEXT NOT NULL, status TEXT NOT NULL,
    event_ids TEXT NOT NULL, created_at INTEGER NOT NULL, started_at INTEGER,
    ended_at INTEGER, output TEXT, error TEXT, parent_run_id TEXT, parent_step_id TEXT,
    concurrency_keys TEXT NOT NULL DEFAULT '[]', priority_ms INTEGER NOT NULL DEFAULT 0,
    singleton_key TEXT, state_bytes INTEGER NOT NULL DEFAULT 0,
    start_deadline INTEGER);
CREATE INDEX IF NOT EXISTS runs_by_function ON runs(function_id, status);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs(status, id);
CREATE TABLE IF NOT EXISTS run_events (
    event_internal_id TEXT NOT NULL, run_id TEXT NOT NULL,
    PRIMARY KEY (event_internal_id, run_id));
CREATE TABLE IF NOT EXISTS steps (
    run_id TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, name TEXT NOT NULL,
    op TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    started_at INTEGER, ended_at INTEGER, memo TEXT, error TEXT, opts TEXT,
    PRIMARY KEY (run_id, id));
CREATE TABLE IF NOT EXISTS queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, kind TEXT NOT NULL,
    step_id TEXT, attempt INTEGER NOT NULL DEFAULT 0, run_at INTEGER NOT NULL,
    sort_at INTEGER NOT NULL, leased INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS queue_ready ON queue(leased, sort_at);
CREATE INDEX IF NOT EXISTS queue_by_run ON queue(run_id);
CREATE TABLE IF NOT EXISTS waits (
    run_id TEXT NOT NULL, step_id TEXT NOT NULL, event_name TEXT NOT NULL,
    expression TEXT, expires_at INTEGER NOT NULL, PRIMARY KEY (run_id, step_id));
CREATE INDEX IF NOT EXISTS waits_by_event ON waits(event_name);
CREATE TABLE IF NOT EXISTS debounces (
    function_id TEXT NOT NULL, key TEXT NOT NULL, event_internal_id TEXT NOT NULL,
    first_at INTEGER NOT NULL, fire_at INTEGER NOT NULL, PRIMARY KEY (function_id, key));
CREATE TABLE IF NOT EXISTS batches (
    function_id TEXT NOT NULL, key TEXT NOT NULL, event_ids TEXT NOT NULL,
    fire_at INTEGER NOT NULL, PRIMARY KEY (function_id, key));
CREATE TABLE IF NOT EXISTS flow_marks (
    kind TEXT NOT NULL, function_id TEXT NOT NULL, key TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS flow_marks_by_key ON flow_marks(kind, function_id, key, at);
CREATE TABLE IF NOT EXISTS throttles (
    function_id TEXT NOT NULL, key TEXT NOT NULL, tat INTEGER NOT NULL,
    PRIMARY KEY (function_id, key));
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

# Each entry upgrades the schema by one version; ``PRAGMA user_version`` records where a
# state file stands. Files written before versioning hold version 1's tables at 0.
MIGRATIONS: tuple[str, ...] = (
    SCHEMA_V1,
    "ALTER TABLE runs ADD COLUMN force_step_plan INTEGER NOT NULL DEFAULT 0;",
)
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One unit of scheduled work: an app call, or a timer firing."""

    id: int
    run_id: str
    kind: str
    step_id: str | None
    attempt: int
    run_at: int


@dataclass(slots=True)
class RunRow:
    id: str
    function_id: str
    status: str
    event_ids: list[str]
    created_at: int
    started_at: int | None
    ended_at: int | None
    output: Any
    error: Any
    parent_run_id: str | None
    parent_step_id: str | None
    concurrency_keys: list[list[Any]]
    priority_ms: int
    singleton_key: str | None
    state_bytes: int
    start_deadline: int | None
    force_step_plan: bool = False


@dataclass(slots=True)
class StepRow:
    run_id: str
    id: str
    seq: int
    name: str
    op: str
    status: str
    attempts: int
    started_at: int | None
    ended_at: int | None
    memo: str | None
    error: Any
    opts: Any


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def dumps(value: Any) -> str:
    """Compact JSON, the form every stored payload takes."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class StateStore:
    """The engine's SQLite state. Not thread-safe by design: use it from one thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock_file: int | None = None
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._acquire_lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._depth = 0
        self._migrate()

    def _migrate(self) -> None:
        """Bring the file's schema to ``SCHEMA_VERSION``, one migration per transaction."""
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version == 0 and self._one("SELECT 1 FROM sqlite_master WHERE name = 'runs'"):
            version = 1
        if version > SCHEMA_VERSION:
            raise StateVersionError(self.path, version, SCHEMA_VERSION)
        for number in range(version, SCHEMA_VERSION):
            with self.transaction():
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number + 1}")

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
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")
        finally:
            self._depth = 0

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self._db.execute(sql, params).fetchone()
        return row

    def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._db.execute(sql, params).fetchall()

    # -- apps and functions -------------------------------------------------

    def save_app(
        self, url: str, app_id: str, sdk: str, framework: str, functions: dict[str, str], now: int
    ) -> None:
        """Store an app and replace its functions (config JSON by function id)."""
        with self.transaction():
            self._db.execute(
                "INSERT INTO apps(url, app_id, sdk, framework, synced_at) VALUES (?,?,?,?,?) "
                "ON CONFLICT(url) DO UPDATE SET app_id=excluded.app_id, sdk=excluded.sdk, "
                "framework=excluded.framework, synced_at=excluded.synced_at",
                (url, app_id, sdk, framework, now),
            )
            placeholders = ",".join("?" * len(functions))
            self._db.execute(
                f"DELETE FROM functions WHERE app_url = ? AND id NOT IN ({placeholders})",
                (url, *functions),
            )
            for fn_id, config in functions.items():
                self._db.execute(
                    "INSERT INTO functions(id, app_url, config) VALUES (?,?,?) "
                    "ON CONFLICT(id) DO UPDATE SET app_url=excluded.app_url, "
                    "config=excluded.config",
                    (fn_id, url, config),
                )

    def functions(self) -> list[tuple[str, str, str, int | None]]:
        """(id, app url, config JSON, next cron fire) of every registered function."""
        return [
            (r[0], r[1], r[2], r[3])
            for r in self._all("SELECT id, app_url, config, cron_next_at FROM functions")
        ]

    def apps(self) -> list[dict[str, Any]]:
        rows = self._all("SELECT url, app_id, sdk, framework, synced_at FROM apps ORDER BY url")
        keys = ("url", "app_id", "sdk", "framework", "synced_at")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def set_cron_next(self, fn_id: str, at: int | None) -> None:
        self._db.execute("UPDATE functions SET cron_next_at = ? WHERE id = ?", (at, fn_id))

    # -- events ---------------------------------------------------------------

    def insert_event(self, internal_id: str, event: dict[str, Any], now: int) -> None:
        self._db.execute(
            "INSERT INTO events(internal_id, id, name, body, received_at) VALUES (?,?,?,?,?)",
            (internal_id, event["id"], event["name"], dumps(event), now),
        )

    def events_by_internal_id(self, internal_ids: list[str]) -> list[dict[str, Any]]:
        """The stored events, in the order of ``internal_ids``."""
        if not internal_ids:
            return []
        placeholders = ",".join("?" * len(internal_ids))
        rows = self._all(
            f"SELECT internal_id, body FROM events WHERE internal_id IN ({placeholders})",
            tuple(internal_ids),
        )
        bodies = {row[0]: json.loads(row[1]) for row in rows}
        return [bodies[i] for i in internal_ids if i in bodies]

    def find_event(self, any_id: str) -> tuple[str, dict[str, Any], int] | None:
        """An event by its internal id or its own id: (internal id, event, received at)."""
        row = self._one(
            "SELECT internal_id, body, received_at FROM events WHERE internal_id = ? OR id = ?",
            (any_id, any_id),
        )
        return None if row is None else (row[0], json.loads(row[1]), row[2])

    def list_events(
        self, name: str | None, limit: int, before: str | None = None
    ) -> list[tuple[str, dict[str, Any], int]]:
        clauses, params = [], []
        if name:
            clauses.append("name = ?")
            params.append(name)
        if before:
            clauses.append("internal_id < ?")
            params.append(before)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._all(
            f"SELECT internal_id, body, received_at FROM events {where} "
            "ORDER BY internal_id DESC LIMIT ?",
            (*params, limit),
        )
        return [(r[0], json.loads(r[1]), r[2]) for r in rows]

    # -- runs -----------------------------------------------------------------

    def insert_run(self, run: RunRow) -> None:
        self._db.execute(
            "INSERT INTO runs(id, function_id, status, event_ids, created_at, parent_run_id, "
            "parent_step_id, concurrency_keys, priority_ms, singleton_key, start_deadline) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                run.id,
                run.function_id,
                run.status,
                dumps(run.event_ids),
                run.created_at,
                run.parent_run_id,
                run.parent_step_id,
                dumps(run.concurrency_keys),
                run.priority_ms,
                run.singleton_key,
                run.start_deadline,
            ),
        )
        self._db.executemany(
            "INSERT OR IGNORE INTO run_events(event_internal_id, run_id) VALUES (?,?)",
            [(event_id, run.id) for event_id in run.event_ids],
        )

    _RUN_COLUMNS = (
        "id, function_id, status, event_ids, created_at, started_at, ended_at, output, error, "
        "parent_run_id, parent_step_id, concurrency_keys, priority_ms, singleton_key, "
        "state_bytes, start_deadline, force_step_plan"
    )

    @staticmethod
    def _run(row: tuple[Any, ...]) -> RunRow:
        return RunRow(
            id=row[0],
            function_id=row[1],
            status=row[2],
            event_ids=json.loads(row[3]),
            created_at=row[4],
            started_at=row[5],
            ended_at=row[6],
            output=_loads(row[7]),
            error=_loads(row[8]),
            parent_run_id=row[9],
            parent_step_id=row[10],
            concurrency_keys=json.loads(row[11]),
            priority_ms=row[12],
            singleton_key=row[13],
            state_bytes=row[14],
            start_deadline=row[15],
            force_step_plan=bool(row[16]),
        )

    def get_run(self, run_id: str) -> RunRow | None:
        row = self._one(f"SELECT {self._RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        return None if row is None else self._run(row)

    def list_runs(
        self,
        function_id: str | None = None,
        status: str | None = None,
        limit: int = 50,
        before: str | None = None,
    ) -> list[RunRow]:
        clauses, params = [], []
        for column, value in (("function_id", function_id), ("status", status)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if before:
            clauses.append("id < ?")
            params.append(before)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._all(
            f"SELECT {self._RUN_COLUMNS} FROM runs {where} ORDER BY id DESC LIMIT ?",
            (*params, limit),
        )
        return [self._run(row) for row in rows]

    def runs_for_event(self, internal_id: str) -> list[RunRow]:
        rows = self._all(
            f"SELECT {self._RUN_COLUMNS} FROM runs WHERE id IN "
            "(SELECT run_id FROM run_events WHERE event_internal_id = ?) ORDER BY id",
            (internal_id,),
        )
        return [self._run(row) for row in rows]

    def active_runs(self, function_id: str, singleton_key: str | None = None) -> list[RunRow]:
        sql = f"SELECT {self._RUN_COLUMNS} FROM runs WHERE function_id = ? AND status IN "
        sql += "('Queued', 'Running')"
        params: tuple[Any, ...] = (function_id,)
        if singleton_key is not None:
            sql += " AND singleton_key = ?"
            params = (function_id, singleton_key)
        return [self._run(row) for row in self._all(sql, params)]

    def mark_run_started(self, run_id: str, now: int) -> None:
        self._db.execute(
            "UPDATE runs SET status = 'Running', started_at = ? WHERE id = ? AND status = 'Queued'",
            (now, run_id),
        )

    def finish_run(self, run_id: str, status: str, output: Any, error: Any, now: int) -> bool:
        """Set a final status; False when the run had already ended."""
        cursor = self._db.execute(
            "UPDATE runs SET status = ?, output = ?, error = ?, ended_at = ? "
            "WHERE id = ? AND status IN ('Queued', 'Running')",
            (
                status,
                None if output is None else dumps(output),
                None if error is None else dumps(error),
                now,
                run_id,
            ),
        )
        if cursor.rowcount == 0:
            return False
        self._db.execute("DELETE FROM queue WHERE run_id = ?", (run_id,))
        self._db.execute("DELETE FROM waits WHERE run_id = ?", (run_id,))
        return True

    def set_force_step_plan(self, run_id: str) -> None:
        self._db.execute("UPDATE runs SET force_step_plan = 1 WHERE id = ?", (run_id,))

    def set_run_error(self, run_id: str, error: Any) -> None:
        self._db.execute("UPDATE runs SET error = ? WHERE id = ?", (dumps(error), run_id))

    def add_state_bytes(self, run_id: str, size: int) -> int:
        self._db.execute(
            "UPDATE runs SET state_bytes = state_bytes + ? WHERE id = ?", (size, run_id)
        )
        row = self._one("SELECT state_bytes FROM runs WHERE id = ?", (run_id,))
        return int(row[0]) if row else 0

    # -- steps ----------------------------------------------------------------

    def memos(self, run_id: str) -> tuple[dict[str, Any], list[str]]:
        """The memoized step results of a run, and their ids in completion order."""
        rows = self._all(
            "SELECT id, memo FROM steps WHERE run_id = ? AND memo IS NOT NULL ORDER BY seq",
            (run_id,),
        )
        return {r[0]: json.loads(r[1]) for r in rows}, [r[0] for r in rows]

    def memos_json(self, run_id: str) -> tuple[str, list[str]]:
        """Memos as one JSON object text, without decoding each stored value."""
        rows = self._all(
            "SELECT id, memo FROM steps WHERE run_id = ? AND memo IS NOT NULL ORDER BY seq",
            (run_id,),
        )
        body = ",".join(f"{json.dumps(r[0])}:{r[1]}" for r in rows)
        return "{" + body + "}", [r[0] for r in rows]

    def get_step(self, run_id: str, step_id: str) -> StepRow | None:
        row = self._one(
            "SELECT run_id, id, seq, name, op, status, attempts, started_at, ended_at, memo, "
            "error, opts FROM steps WHERE run_id = ? AND id = ?",
            (run_id, step_id),
        )
        return None if row is None else self._step(row)

    @staticmethod
    def _step(row: tuple[Any, ...]) -> StepRow:
        return StepRow(
            run_id=row[0],
            id=row[1],
            seq=row[2],
            name=row[3],
            op=row[4],
            status=row[5],
            attempts=row[6],
            started_at=row[7],
            ended_at=row[8],
            memo=row[9],
            error=_loads(row[10]),
            opts=_loads(row[11]),
        )

    def steps(self, run_id: str) -> list[StepRow]:
        rows = self._all(
            "SELECT run_id, id, seq, name, op, status, attempts, started_at, ended_at, memo, "
            "error, opts FROM steps WHERE run_id = ? ORDER BY seq",
            (run_id,),
        )
        return [self._step(row) for row in rows]

    def step_count(self, run_id: str) -> int:
        row = self._one("SELECT count(*) FROM steps WHERE run_id = ?", (run_id,))
        return int(row[0]) if row else 0

    def upsert_step(
        self,
        run_id: str,
        step_id: str,
        *,
        name: str,
        op: str,
        status: str,
        now: int,
        memo: str | None = None,
        error: Any = None,
        opts: Any = None,
        attempt_done: bool = False,
    ) -> None:
        """Create or update a step's timeline row (and its memo, once it has one)."""
        finished = status in ("completed", "failed")
        self._db.execute(
            "INSERT INTO steps(run_id, id, seq, name, op, status, attempts, started_at, "
            "ended_at, memo, error, opts) VALUES (?, ?, "
            "(SELECT coalesce(max(seq), 0) + 1 FROM steps WHERE run_id = ?), "
            "?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(run_id, id) DO UPDATE SET op = excluded.op, status = excluded.status, "
            "attempts = steps.attempts + ?, ended_at = excluded.ended_at, "
            "memo = coalesce(excluded.memo, steps.memo), "
            "error = coalesce(excluded.error, steps.error), "
            "opts = coalesce(excluded.opts, steps.opts), "
            "seq = CASE WHEN excluded.memo IS NOT NULL AND steps.memo IS NULL THEN "
            "(SELECT coalesce(max(seq), 0) + 1 FROM steps WHERE run_id = ?) ELSE steps.seq END",
            (
                run_id,
                step_id,
                run_id,
                name,
                op,
                status,
                1 if attempt_done else 0,
                now,
                now if finished else None,
                memo,
                None if error is None else dumps(error),
                None if opts is None else dumps(opts),
                1 if attempt_done else 0,
                run_id,
            ),
        )

    # -- queue ----------------------------------------------------------------

    def enqueue(
        self,
        run_id: str,
        kind: str,
        run_at: int,
        *,
        step_id: str | None = None,
        attempt: int = 0,
        priority_ms: int = 0,
    ) -> int:
        cursor = self._db.execute(
            "INSERT INTO queue(run_id, kind, step_id, attempt, run_at, sort_at) "
            "VALUES (?,?,?,?,?,?)",
            (run_id, kind, step_id, attempt, run_at, run_at - priority_ms),
        )
        return int(cursor.lastrowid or 0)

    def ready_items(self, now: int, limit: int) -> list[QueueItem]:
        rows = self._all(
            "SELECT id, run_id, kind, step_id, attempt, run_at FROM queue "
            "WHERE leased = 0 AND run_at <= ? ORDER BY sort_at, id LIMIT ?",
            (now, limit),
        )
        return [QueueItem(*row) for row in rows]

    def next_run_at(self) -> int | None:
        row = self._one("SELECT min(run_at) FROM queue WHERE leased = 0")
        return None if row is None or row[0] is None else int(row[0])

    def lease(self, item_id: int) -> bool:
        cursor = self._db.execute(
            "UPDATE queue SET leased = 1 WHERE id = ? AND leased = 0", (item_id,)
        )
        return cursor.rowcount == 1

    def complete_item(self, item_id: int) -> bool:
        """Remove a finished item; False when it was already gone (its run ended meanwhile)."""
        return self._db.execute("DELETE FROM queue WHERE id = ?", (item_id,)).rowcount == 1

    def delete_items(self, run_id: str, kind: str, step_id: str | None = None) -> None:
        if step_id is None:
            self._db.execute("DELETE FROM queue WHERE run_id = ? AND kind = ?", (run_id, kind))
        else:
            self._db.execute(
                "DELETE FROM queue WHERE run_id = ? AND kind = ? AND step_id = ?",
                (run_id, kind, step_id),
            )

    def release_all_leases(self) -> int:
        """After a restart nothing is in flight: every lease belonged to the dead process."""
        return self._db.execute("UPDATE queue SET leased = 0 WHERE leased = 1").rowcount

    def has_pending_calls(self, run_id: str) -> bool:
        row = self._one("SELECT 1 FROM queue WHERE run_id = ? AND kind = 'call' LIMIT 1", (run_id,))
        return row is not None

    def queue_depth(self) -> int:
        row = self._one("SELECT count(*) FROM queue")
        return int(row[0]) if row else 0

    # -- waits ----------------------------------------------------------------

    def add_wait(
        self, run_id: str, step_id: str, event_name: str, expression: str | None, expires_at: int
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO waits(run_id, step_id, event_name, expression, expires_at) "
            "VALUES (?,?,?,?,?)",
            (run_id, step_id, event_name, expression, expires_at),
        )

    def waits_for(self, event_name: str) -> list[tuple[str, str, str | None]]:
        return [
            (r[0], r[1], r[2])
            for r in self._all(
                "SELECT run_id, step_id, expression FROM waits WHERE event_name = ? ORDER BY rowid",
                (event_name,),
            )
        ]

    def remove_wait(self, run_id: str, step_id: str) -> bool:
        cursor = self._db.execute(
            "DELETE FROM waits WHERE run_id = ? AND step_id = ?", (run_id, step_id)
        )
        return cursor.rowcount == 1

    # -- debounce, batches, rate limits, throttles ------------------------------

    def get_debounce(self, fn_id: str, key: str) -> tuple[str, int, int] | None:
        row = self._one(
            "SELECT event_internal_id, first_at, fire_at FROM debounces "
            "WHERE function_id = ? AND key = ?",
            (fn_id, key),
        )
        return None if row is None else (row[0], row[1], row[2])

    def put_debounce(
        self, fn_id: str, key: str, event_internal_id: str, first_at: int, fire_at: int
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO debounces(function_id, key, event_internal_id, first_at, "
            "fire_at) VALUES (?,?,?,?,?)",
            (fn_id, key, event_internal_id, first_at, fire_at),
        )

    def due_debounces(self, now: int) -> list[tuple[str, str, str]]:
        rows = self._all(
            "SELECT function_id, key, event_internal_id FROM debounces WHERE fire_at <= ?",
            (now,),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def delete_debounce(self, fn_id: str, key: str) -> None:
        self._db.execute("DELETE FROM debounces WHERE function_id = ? AND key = ?", (fn_id, key))

    def get_batch(self, fn_id: str, key: str) -> list[str] | None:
        row = self._one(
            "SELECT event_ids FROM batches WHERE function_id = ? AND key = ?", (fn_id, key)
        )
        return None if row is None else list(json.loads(row[0]))

    def put_batch(self, fn_id: str, key: str, event_ids: list[str], fire_at: int) -> None:
        self._db.execute(
            "INSERT INTO batches(function_id, key, event_ids, fire_at) VALUES (?,?,?,?) "
            "ON CONFLICT(function_id, key) DO UPDATE SET event_ids = excluded.event_ids",
            (fn_id, key, dumps(event_ids), fire_at),
        )

    def due_batches(self, now: int) -> list[tuple[str, str, list[str]]]:
        rows = self._all(
            "SELECT function_id, key, event_ids FROM batches WHERE fire_at <= ?", (now,)
        )
        return [(r[0], r[1], json.loads(r[2])) for r in rows]

    def delete_batch(self, fn_id: str, key: str) -> None:
        self._db.execute("DELETE FROM batches WHERE function_id = ? AND key = ?", (fn_id, key))

    def next_timer_at(self) -> int | None:
        """The earliest debounce, batch or cron deadline."""
        row = self._one(
            "SELECT min(at) FROM (SELECT min(fire_at) AS at FROM debounces "
            "UNION ALL SELECT min(fire_at) FROM batches "
            "UNION ALL SELECT min(cron_next_at) FROM functions)"
        )
        return None if row is None or row[0] is None else int(row[0])

    def count_marks(self, kind: str, fn_id: str, key: str, since: int) -> int:
        row = self._one(
            "SELECT count(*) FROM flow_marks WHERE kind = ? AND function_id = ? AND key = ? "
            "AND at > ?",
            (kind, fn_id, key, since),
        )
        return int(row[0]) if row else 0

    def add_mark(self, kind: str, fn_id: str, key: str, at: int) -> None:
        self._db.execute(
            "INSERT INTO flow_marks(kind, function_id, key, at) VALUES (?,?,?,?)",
            (kind, fn_id, key, at),
        )

    def prune_marks(self, before: int) -> None:
        self._db.execute("DELETE FROM flow_marks WHERE at < ?", (before,))

    def get_throttle(self, fn_id: str, key: str) -> int | None:
        row = self._one("SELECT tat FROM throttles WHERE function_id = ? AND key = ?", (fn_id, key))
        return None if row is None else int(row[0])

    def put_throttle(self, fn_id: str, key: str, tat: int) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO throttles(function_id, key, tat) VALUES (?,?,?)",
            (fn_id, key, tat),
        )

    # -- counters -------------------------------------------------------------

    def bump(self, name: str, by: int = 1) -> None:
        self._db.execute(
            "INSERT INTO counters(name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
            (name, by),
        )

    def counters(self) -> dict[str, int]:
        return {r[0]: r[1] for r in self._all("SELECT name, value FROM counters")}
