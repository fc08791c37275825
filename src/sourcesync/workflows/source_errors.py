"""How connector errors reach the runtime: rate limits and outages retry when the source
says, errors the source will repeat (bad configuration, refused requests) fail at once, and
anything unexpected is retried with backoff."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator

import inngest

from sourcesync.connectors.errors import ConnectorError, SourceUnavailableError

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
    except ConnectorError as exc:
        # Misconfiguration, or a request the source refuses as such: it would fail again.
        raise inngest.NonRetriableError(str(exc)) from exc
