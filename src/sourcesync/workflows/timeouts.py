"""The original design's timeouts (file batch 5 min, documents 20 min, whole sync), as
settings, and the messages that name the setting when one is exceeded.

A whole sync's default is a day, not the design's 30 minutes: a first sync of a 100,000-file
repository embeds for hours on a CPU, and must finish.
"""

from __future__ import annotations

import datetime
from enum import StrEnum

from sourcesync.settings import Settings

__all__ = ["INVOKE_TIMEOUT_ERROR", "Timeout", "limit", "timed_out"]

INVOKE_TIMEOUT_ERROR = "InngestInvokeTimeoutError"
"""The name of the error Inngest memoizes for an invoke that outlived its timeout."""


class Timeout(StrEnum):
    """Each timeout, by the setting that holds it."""

    SYNC = "sync_timeout_minutes"
    FILES_BATCH = "files_batch_timeout_minutes"
    DOCUMENTS = "documents_timeout_minutes"


def limit(settings: Settings, timeout: Timeout) -> datetime.timedelta:
    minutes: int = getattr(settings, timeout)
    return datetime.timedelta(minutes=minutes)


def timed_out(settings: Settings, timeout: Timeout, what: str) -> str:
    """Say that `what` ran past its limit, and which setting raises it."""
    minutes: int = getattr(settings, timeout)
    return (
        f"{what} ran past {minutes} min, the limit {Settings.env_name(timeout)} sets; "
        "raise it for a source this large (or a slower embedder)"
    )
