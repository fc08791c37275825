"""Registrations and flow-control state: apps, functions, debounces, batches, marks,
throttles and counters."""

from __future__ import annotations

import json

from ..enums import MarkKind
from .connection import Connection, dumps
from .rows import AppRow, BatchRow, DebounceRow, FunctionRow


class RegistrationQueries(Connection):
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

    def functions(self) -> list[FunctionRow]:
        rows = self._all("SELECT id, app_url, config, cron_next_at FROM functions")
        return [FunctionRow(r[0], r[1], r[2], r[3]) for r in rows]

    def apps(self) -> list[AppRow]:
        rows = self._all("SELECT url, app_id, sdk, framework, synced_at FROM apps ORDER BY url")
        return [AppRow(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def set_cron_next(self, fn_id: str, at: int | None) -> None:
        self._db.execute("UPDATE functions SET cron_next_at = ? WHERE id = ?", (at, fn_id))

    def due_crons(self, now: int) -> list[FunctionRow]:
        rows = self._all(
            "SELECT id, app_url, config, cron_next_at FROM functions WHERE cron_next_at <= ?",
            (now,),
        )
        return [FunctionRow(r[0], r[1], r[2], r[3]) for r in rows]


class FlowQueries(Connection):
    def get_debounce(self, fn_id: str, key: str) -> DebounceRow | None:
        row = self._one(
            "SELECT function_id, key, event_internal_id, first_at, fire_at FROM debounces "
            "WHERE function_id = ? AND key = ?",
            (fn_id, key),
        )
        return None if row is None else DebounceRow(*row)

    def put_debounce(self, debounce: DebounceRow) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO debounces(function_id, key, event_internal_id, first_at, "
            "fire_at) VALUES (?,?,?,?,?)",
            (
                debounce.function_id,
                debounce.key,
                debounce.event_internal_id,
                debounce.first_at,
                debounce.fire_at,
            ),
        )

    def due_debounces(self, now: int) -> list[DebounceRow]:
        rows = self._all(
            "SELECT function_id, key, event_internal_id, first_at, fire_at FROM debounces "
            "WHERE fire_at <= ?",
            (now,),
        )
        return [DebounceRow(*r) for r in rows]

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

    def due_batches(self, now: int) -> list[BatchRow]:
        rows = self._all(
            "SELECT function_id, key, event_ids, fire_at FROM batches WHERE fire_at <= ?", (now,)
        )
        return [BatchRow(r[0], r[1], json.loads(r[2]), r[3]) for r in rows]

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

    def count_marks(self, kind: MarkKind, fn_id: str, key: str, since: int) -> int:
        row = self._one(
            "SELECT count(*) FROM flow_marks WHERE kind = ? AND function_id = ? AND key = ? "
            "AND at > ?",
            (kind, fn_id, key, since),
        )
        return int(row[0]) if row else 0

    def add_mark(self, kind: MarkKind, fn_id: str, key: str, at: int) -> None:
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

    def bump(self, name: str, by: int = 1) -> None:
        """Add to a counter; inside a transaction, once at its commit (``_flush_counts``)."""
        if self._depth:
            self._pending_counts[name] = self._pending_counts.get(name, 0) + by
        else:
            self._add_counts({name: by})

    def counters(self) -> dict[str, int]:
        counts = {r[0]: r[1] for r in self._all("SELECT name, value FROM counters")}
        for name, by in self._pending_counts.items():
            counts[name] = counts.get(name, 0) + by
        return counts
