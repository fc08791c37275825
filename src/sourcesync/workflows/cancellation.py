"""Cancelling a job stops its work: every run of the job is cancelled by one event, and
work already under way commits nothing once the job has ended.

``apps-console/sync.cancel {jobId}`` cancels the orchestrator and every child run whose
event carries that ``jobId`` (``cancelOn``, on the embedded engine and on Inngest alike).
A run in the middle of a call when the event arrives finishes that call, so the
transactions that commit a job's work first check that the job is still active
(``db.require_job_active``); a cancelled job's late work is dropped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import inngest

from sourcesync import db
from sourcesync.events import SyncCancel

JOB_CANCEL = [inngest.Cancel(event=SyncCancel.name, if_exp="async.data.jobId == event.data.jobId")]
"""The ``cancel`` option of every function that works for a job."""


@contextlib.contextmanager
def job_still_active() -> Iterator[None]:
    """Turn a cancelled job's ``JobCancelledError`` into a run that fails at once."""
    try:
        yield
    except db.JobCancelledError as exc:
        raise inngest.NonRetriableError(str(exc)) from exc
