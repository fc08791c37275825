"""Stalls are reported, not waited out: while a job's call to the embedder or to a source
goes unanswered, the job row says what it waits on and since when, and the job's view
reads "stalled: the embedder not answering since 10:42:07" once that is longer than
``SOURCESYNC_STALL_AFTER_SECONDS``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from sourcesync import db
from sourcesync.db.column_types import utcnow

from .services import Services

EMBEDDER = "the embedder"
SOURCE = "the source"


@contextlib.asynccontextmanager
async def waiting_on(services: Services, job_id: str, what: str) -> AsyncIterator[None]:
    """Note the wait on the job while the block runs."""
    since = utcnow()

    def start() -> bool:
        with services.transaction() as session:
            return db.start_waiting(session, job_id, what, since)

    def stop() -> None:
        with services.transaction() as session:
            db.stop_waiting(session, job_id, since)

    noted = await services.in_thread(start)
    try:
        yield
    finally:
        if noted:
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
