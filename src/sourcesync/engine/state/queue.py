"""The queue (app calls and timers, leased while they execute) and event waits."""

from __future__ import annotations

from ..enums import QueueKind
from .connection import Connection
from .rows import QueueItem, WaitRow

# A dict lookup: calling an enum class to convert a value costs microseconds.
_KINDS = {kind.value: kind for kind in QueueKind}


class QueueQueries(Connection):
    def enqueue(
        self,
        run_id: str,
        kind: QueueKind,
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
        return [QueueItem(r[0], r[1], _KINDS[r[2]], r[3], r[4], r[5]) for r in rows]

    def next_run_at(self) -> int | None:
        row = self._one("SELECT min(run_at) FROM queue WHERE leased = 0")
        return None if row is None or row[0] is None else int(row[0])

    def lease(self, item_ids: list[int]) -> int:
        """Lease unleased items; returns how many were leased."""
        if not item_ids:
            return 0
        placeholders = ",".join("?" * len(item_ids))
        cursor = self._db.execute(
            f"UPDATE queue SET leased = 1 WHERE id IN ({placeholders}) AND leased = 0",
            tuple(item_ids),
        )
        return cursor.rowcount

    def complete_item(self, item_id: int) -> bool:
        """Remove a finished item; False when it was already gone (its run ended meanwhile)."""
        return self._db.execute("DELETE FROM queue WHERE id = ?", (item_id,)).rowcount == 1

    def delete_items(self, run_id: str, kind: QueueKind, step_id: str | None = None) -> None:
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

    def enqueue_discovery(self, run_id: str, run_at: int, priority_ms: int) -> None:
        """Queue a discovery call (no ``stepId``) unless the run already has a call queued."""
        self._db.execute(
            "INSERT INTO queue(run_id, kind, step_id, attempt, run_at, sort_at) "
            "SELECT ?, ?, NULL, 0, ?, ? WHERE NOT EXISTS "
            "(SELECT 1 FROM queue WHERE run_id = ? AND kind = ?)",
            (run_id, QueueKind.CALL, run_at, run_at - priority_ms, run_id, QueueKind.CALL),
        )

    def timers(self, run_id: str) -> dict[str, int]:
        """When each of a run's pending timers (sleep, wait or invoke timeout) fires, by step."""
        rows = self._all(
            "SELECT step_id, run_at FROM queue WHERE run_id = ? AND kind != ? "
            "AND step_id IS NOT NULL",
            (run_id, QueueKind.CALL),
        )
        return {str(r[0]): int(r[1]) for r in rows}

    def queue_depth(self) -> int:
        row = self._one("SELECT count(*) FROM queue")
        return int(row[0]) if row else 0

    def add_wait(
        self, run_id: str, step_id: str, event_name: str, expression: str | None, expires_at: int
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO waits(run_id, step_id, event_name, expression, expires_at) "
            "VALUES (?,?,?,?,?)",
            (run_id, step_id, event_name, expression, expires_at),
        )

    def waits_for(self, event_name: str) -> list[WaitRow]:
        rows = self._all(
            "SELECT run_id, step_id, expression FROM waits WHERE event_name = ? ORDER BY rowid",
            (event_name,),
        )
        return [WaitRow(r[0], r[1], r[2]) for r in rows]

    def remove_wait(self, run_id: str, step_id: str) -> bool:
        cursor = self._db.execute(
            "DELETE FROM waits WHERE run_id = ? AND step_id = ?", (run_id, step_id)
        )
        return cursor.rowcount == 1
