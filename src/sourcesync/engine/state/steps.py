"""A run's steps in the state store: its timeline, and the memos sent back to the SDK."""

from __future__ import annotations

import json
from typing import Any

from ..enums import StepStatus
from .connection import Connection, dumps, loads
from .rows import StepRow

_STEP_COLUMNS = (
    "run_id, id, seq, name, op, status, attempts, started_at, ended_at, memo, error, opts"
)
_STATUSES = {status.value: status for status in StepStatus}
_FINISHED = frozenset({StepStatus.COMPLETED, StepStatus.FAILED})


def _step(row: tuple[Any, ...]) -> StepRow:
    return StepRow(
        run_id=row[0],
        id=row[1],
        seq=row[2],
        name=row[3],
        op=row[4],
        status=_STATUSES[row[5]],
        attempts=row[6],
        started_at=row[7],
        ended_at=row[8],
        memo=row[9],
        error=loads(row[10]),
        opts=loads(row[11]),
    )


class StepQueries(Connection):
    def memos_json(self, run_id: str) -> tuple[str, list[str]]:
        """Memos as one JSON object text, without decoding each stored value, and their ids
        in completion order (the SDK's ``ctx.stack``)."""
        rows = self._all(
            "SELECT id, memo FROM steps WHERE run_id = ? AND memo IS NOT NULL ORDER BY seq",
            (run_id,),
        )
        # Step ids are the SDK's hex hashes; anything else is escaped properly.
        body = ",".join(
            [f'"{r[0]}":{r[1]}' if r[0].isalnum() else f"{json.dumps(r[0])}:{r[1]}" for r in rows]
        )
        return "{" + body + "}", [r[0] for r in rows]

    def get_step(self, run_id: str, step_id: str) -> StepRow | None:
        row = self._one(
            f"SELECT {_STEP_COLUMNS} FROM steps WHERE run_id = ? AND id = ?", (run_id, step_id)
        )
        return None if row is None else _step(row)

    def steps(self, run_id: str) -> list[StepRow]:
        rows = self._all(
            f"SELECT {_STEP_COLUMNS} FROM steps WHERE run_id = ? ORDER BY seq", (run_id,)
        )
        return [_step(row) for row in rows]

    def step_and_count(self, run_id: str, step_id: str) -> tuple[StepRow | None, int]:
        """A step (if the run has it) and the run's number of steps, in one query."""
        row = self._one(
            f"SELECT {_STEP_COLUMNS}, (SELECT count(*) FROM steps WHERE run_id = ?) "
            "FROM (SELECT ? AS want_run, ? AS want_id) "
            "LEFT JOIN steps ON steps.run_id = want_run AND steps.id = want_id",
            (run_id, run_id, step_id),
        )
        if row is None:  # unreachable: the outer query always yields its one row
            return None, 0
        return (None if row[0] is None else _step(row)), int(row[12])

    def upsert_step(
        self,
        run_id: str,
        step_id: str,
        *,
        name: str,
        op: str,
        status: StepStatus,
        now: int,
        memo: str | None = None,
        error: Any = None,
        opts: Any = None,
        attempt_done: bool = False,
    ) -> None:
        """Create or update a step's timeline row (and its memo, once it has one)."""
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
                now if status in _FINISHED else None,
                memo,
                None if error is None else dumps(error),
                None if opts is None else dumps(opts),
                1 if attempt_done else 0,
                run_id,
            ),
        )
