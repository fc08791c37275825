"""How connector errors reach the runtime: rate limits retry when the source says, a
misconfigured source fails at once, anything else is retried with backoff."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator

import inngest

from sourcesync.connectors.errors import SourceConfigError, SourceUnavailableError

DEFAULT_RETRY_AFTER = datetime.timedelta(seconds=30)


@contextlib.contextmanager
def source_errors() -> Iterator[None]:
    """Turn connector errors into the runtime's retry decisions (inside a step)."""
    try:
        yield
    except SourceUnavailableError as exc:
        wait = (
            datetime.timedelta(seconds=exc.retry_after_s)
            if exc.retry_after_s is not None
            else DEFAULT_RETRY_AFTER
        )
        raise inngest.RetryAfterError(str(exc), wait) from exc
    except SourceConfigError as exc:
        raise inngest.NonRetriableError(str(exc)) from exc
