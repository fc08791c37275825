"""Stalls are reported, not waited out: while a job's call to the embedder or to a source
goes unanswered, the job row says what it waits on and since when, and the job's view
reads "stalled: the embedder not answering since 10:42:07" once that is longer than
``SOURCESYNC_STALL_AFTER_SECONDS``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import TYPE_CHECKING

from sourcesync import db
from sourcesync.db.column_types import utcnow

if TYPE_CHECKING:
    from .services import Services

EMBEDDER = "the embedder"
SOURCE = "the source"


NOTE_AFTER_S = 5.0
"""A wait is written to the job only once it lasts this long, so the usual quick call costs
no database write (a stall is reported after ``SOURCESYNC_STALL_AFTER_SECONDS`` anyway)."""


@contextlib.asynccontextmanager
async def waiting_on(services: Services, job_id: str, what: str) -> AsyncIterator[None]:
    """Note the wait on the job (dated from the block's start) if the block runs long."""
    since = utcnow()
    writing: asyncio.Future[bool] | None = None

    def start() -> bool:
        with services.transaction() as session:
            return db.start_waiting(session, job_id, what, since)

    def stop() -> None:
        with services.transaction() as session:
            db.stop_waiting(session, job_id, since)

    async def note_later() -> None:
        nonlocal writing
        await asyncio.sleep(min(NOTE_AFTER_S, services.settings.stall_after_seconds / 2))
        writing = asyncio.ensure_future(services.in_thread(start))
        await asyncio.shield(writing)

    noting = asyncio.create_task(note_later())
    try:
        yield
    finally:
        noting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await noting
        # A note being written when the block ended is waited for, then taken back.
        if writing is not None and await writing:
            await services.in_thread(stop)


def stall_message(job: db.Job, stall_after_s: int) -> str | None:
    """ "stalled: ... not answering since ..." for a live job whose wait is too long."""
    if job.status.is_terminal or job.waiting_since is None:
        return None
    if utcnow() - job.waiting_since < timedelta(seconds=stall_after_s):
        return None
    return (
        f"stalled: {job.waiting_on} not answering since "
        f"{job.waiting_since.isoformat(timespec='seconds')}"
    )
