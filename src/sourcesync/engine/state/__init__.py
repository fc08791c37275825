"""Durable engine state in SQLite (WAL): events, runs, memoized steps, queue, waits, timers."""

from .connection import dumps
from .rows import (
    AppRow,
    BatchRow,
    DebounceRow,
    EventRow,
    FunctionRow,
    QueueItem,
    RunRow,
    StepRow,
    WaitRow,
)
from .schema import SCHEMA_VERSION
from .store import StateStore

__all__ = [
    "SCHEMA_VERSION",
    "AppRow",
    "BatchRow",
    "DebounceRow",
    "EventRow",
    "FunctionRow",
    "QueueItem",
    "RunRow",
    "StateStore",
    "StepRow",
    "WaitRow",
    "dumps",
]
