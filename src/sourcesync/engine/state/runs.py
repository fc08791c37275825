"""Events and runs in the state store."""

from __future__ import annotations

import json
from typing import Any

from ..enums import ACTIVE_RUN_STATUSES, FINAL_RUN_STATUSES, RunStatus
from .connection import Connection, dumps, loads
from .rows import EventRow, RunRow

_RUN_COLUMNS = (
    "id, function_id, status, event_ids, created_at, started_at, ended_at, output, error, "
    "parent_run_id, parent_step_id, concurrency_keys, priority_ms, singleton_key, "
    "state_bytes, start_deadline, force_step_plan"
)
# A dict lookup: calling an enum class to convert a value costs microseconds.
_STATUSES = {status.value: status for status in RunStatus}
_ACTIVE = "('" + "', '".join(sorted(ACTIVE_RUN_STATUSES)) + "')"


def _run(row: tuple[Any, ...]) -> RunRow:
    return RunRow(
        id=row[0],
        function_id=row[1],
        status=_STATUSES[row[2]],
        event_ids=json.loads(row[3]),
        created_at=row[4],
        started_at=row[5],
        ended_at=row[6],
        output=loads(row[7]),
        error=loads(row[8]),
        parent_run_id=row[9],
        parent_step_id=row[10],
        concurrency_keys=json.loads(row[11]),
        priority_ms=row[12],
        singleton_key=row[13],
        state_bytes=row[14],
        start_deadline=row[15],
        force_step_plan=bool(row[16]),
    )


class EventQueries(Connection):
    def prune_events(self, received_before: int, limit: int) -> int:
        """Delete up to ``limit`` events received before ``received_before`` that no run,
        debounce or batch still holds; return how many went."""
        cursor = self._db.execute(
            "DELETE FROM events WHERE internal_id IN (SELECT e.internal_id FROM events e "
            "WHERE e.received_at < ? "
            "AND NOT EXISTS (SELECT 1 FROM run_events r WHERE r.event_internal_id = e.internal_id) "
            "AND NOT EXISTS (SELECT 1 FROM debounces d WHERE d.event_internal_id = e.internal_id) "
            "AND NOT EXISTS (SELECT 1 FROM batches b WHERE instr(b.event_ids, e.internal_id) > 0) "
            "LIMIT ?)",
            (received_before, limit),
        )
        return int(cursor.rowcount)

    def insert_event(self, internal_id: str, event: dict[str, Any], now: int) -> None:
        self._db.execute(
            "INSERT INTO events(internal_id, id, name, body, received_at) VALUES (?,?,?,?,?)",
            (internal_id, event["id"], event["name"], dumps(event), now),
        )

    def events_by_internal_id(self, internal_ids: list[str]) -> list[dict[str, Any]]:
        """The stored events, in the order of ``internal_ids``."""
        if not internal_ids:
            return []
        if len(internal_ids) == 1:
            row = self._one("SELECT body FROM events WHERE internal_id = ?", (internal_ids[0],))
            return [] if row is None else [json.loads(row[0])]
        placeholders = ",".join("?" * len(internal_ids))
        rows = self._all(
            f"SELECT internal_id, body FROM events WHERE internal_id IN ({placeholders})",
            tuple(internal_ids),
        )
        bodies = {row[0]: json.loads(row[1]) for row in rows}
        return [bodies[i] for i in internal_ids if i in bodies]

    def events_json(self, internal_ids: list[str]) -> str:
        """The stored events as one JSON array text, without decoding them."""
        if not internal_ids:
            return "[]"
        if len(internal_ids) == 1:
            row = self._one("SELECT body FROM events WHERE internal_id = ?", (internal_ids[0],))
            return "[]" if row is None else f"[{row[0]}]"
        placeholders = ",".join("?" * len(internal_ids))
        rows = self._all(
            f"SELECT internal_id, body FROM events WHERE internal_id IN ({placeholders})",
            tuple(internal_ids),
        )
        bodies = dict(rows)
        return "[" + ",".join(bodies[i] for i in internal_ids if i in bodies) + "]"

    def find_event(self, any_id: str) -> EventRow | None:
        """An event by its internal id or its own id."""
        row = self._one(
            "SELECT internal_id, body, received_at FROM events WHERE internal_id = ? OR id = ?",
            (any_id, any_id),
        )
        return None if row is None else EventRow(row[0], json.loads(row[1]), row[2])

    def list_events(
        self, name: str | None, limit: int, before: str | None = None
    ) -> list[EventRow]:
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
        return [EventRow(r[0], json.loads(r[1]), r[2]) for r in rows]


class RunQueries(Connection):
    def prune_finished_runs(self, ended_before: int, limit: int) -> int:
        """Delete up to ``limit`` runs that ended before ``ended_before``, with their steps
        and their links to events; return how many went."""
        ids = [
            str(row[0])
            for row in self._all(
                "SELECT id FROM runs WHERE status IN (?, ?, ?) AND ended_at < ? LIMIT ?",
                (*FINAL_RUN_STATUSES, ended_before, limit),
            )
        ]
        if ids:
            marks = ",".join("?" * len(ids))
            for table, column in (("steps", "run_id"), ("run_events", "run_id"), ("runs", "id")):
                self._db.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", ids)
        return len(ids)

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

    def get_run(self, run_id: str) -> RunRow | None:
        row = self._one(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        return None if row is None else _run(row)

    def get_runs(self, run_ids: list[str]) -> dict[str, RunRow]:
        """Runs by id, in one query."""
        if not run_ids:
            return {}
        placeholders = ",".join("?" * len(run_ids))
        rows = self._all(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE id IN ({placeholders})", tuple(run_ids)
        )
        return {row[0]: _run(row) for row in rows}

    def list_runs(
        self,
        function_id: str | None = None,
        status: RunStatus | None = None,
        limit: int = 50,
        before: str | None = None,
        since: str | None = None,
    ) -> list[RunRow]:
        """Runs newest first; ``before`` and ``since`` bound their ids (ULIDs, so times)."""
        clauses, params = [], []
        for column, value in (("function_id", function_id), ("status", status)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if before:
            clauses.append("id < ?")
            params.append(before)
        if since:
            clauses.append("id >= ?")
            params.append(since)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._all(
            f"SELECT {_RUN_COLUMNS} FROM runs {where} ORDER BY id DESC LIMIT ?",
            (*params, limit),
        )
        return [_run(row) for row in rows]

    def runs_for_event(self, internal_id: str) -> list[RunRow]:
        rows = self._all(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE id IN "
            "(SELECT run_id FROM run_events WHERE event_internal_id = ?) ORDER BY id",
            (internal_id,),
        )
        return [_run(row) for row in rows]

    def child_runs(self, run_id: str) -> list[RunRow]:
        """The runs a run invoked (``step.invoke``), oldest first."""
        rows = self._all(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE parent_run_id = ? ORDER BY id", (run_id,)
        )
        return [_run(row) for row in rows]

    def runs_by_event_field(
        self, field: str, value: str, first_event: str, last_event: str, limit: int
    ) -> list[RunRow]:
        """Runs triggered by an event whose ``data[field]`` is ``value``, among the events
        whose internal ids lie in ``[first_event, last_event]`` (a time window: ULIDs)."""
        if not field.isidentifier():
            raise ValueError(f"not a field name: {field!r}")
        rows = self._all(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE id IN (SELECT r.run_id FROM events e "
            "JOIN run_events r ON r.event_internal_id = e.internal_id "
            "WHERE e.internal_id BETWEEN ? AND ? AND json_extract(e.body, ?) = ?) "
            "ORDER BY id LIMIT ?",
            (first_event, last_event, f"$.data.{field}", value, limit),
        )
        return [_run(row) for row in rows]

    def active_runs(self, function_id: str, singleton_key: str | None = None) -> list[RunRow]:
        """Queued and running runs of a function, oldest first."""
        sql = f"SELECT {_RUN_COLUMNS} FROM runs WHERE function_id = ? AND status IN {_ACTIVE}"
        params: tuple[Any, ...] = (function_id,)
        if singleton_key is not None:
            sql += " AND singleton_key = ?"
            params = (function_id, singleton_key)
        return [_run(row) for row in self._all(sql + " ORDER BY id", params)]

    def mark_run_started(self, run_id: str, now: int) -> None:
        self._db.execute(
            "UPDATE runs SET status = ?, started_at = ? WHERE id = ? AND status = ?",
            (RunStatus.RUNNING, now, run_id, RunStatus.QUEUED),
        )

    def finish_run(self, run_id: str, status: RunStatus, output: Any, error: Any, now: int) -> bool:
        """Set a final status and drop the run's queue items and waits; False if it had ended."""
        cursor = self._db.execute(
            f"UPDATE runs SET status = ?, output = ?, error = ?, ended_at = ? "
            f"WHERE id = ? AND status IN {_ACTIVE}",
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
        row = self._one(
            "UPDATE runs SET state_bytes = state_bytes + ? WHERE id = ? RETURNING state_bytes",
            (size, run_id),
        )
        return int(row[0]) if row else 0
