"""Structured log lines: a message followed by its context as ``key=value`` pairs."""

from __future__ import annotations

import logging
from typing import ClassVar

_STANDARD = set(vars(logging.makeLogRecord({})))


class KeyValueFormatter(logging.Formatter):
    """``2026-01-01T00:00:00 INFO sourcesync.engine run finished run_id=... status=...``."""

    default_msec_format: ClassVar[str] = "%s.%03d"  # type: ignore[misc]

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        context.pop("message", None)
        context.pop("asctime", None)
        if context:
            line += " " + " ".join(f"{key}={value}" for key, value in context.items())
        return line


def configure_logging(level: str = "INFO") -> None:
    """Send sourcesync's logs to stderr as structured lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(KeyValueFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("sourcesync")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
