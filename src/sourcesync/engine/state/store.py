"""The engine's state store: every query group over one connection."""

from __future__ import annotations

from .flow import FlowQueries, RegistrationQueries
from .queue import QueueQueries
from .runs import EventQueries, RunQueries
from .steps import StepQueries


class StateStore(
    EventQueries, RunQueries, StepQueries, QueueQueries, RegistrationQueries, FlowQueries
):
    """The engine's SQLite state. Not thread-safe by design: use it from one thread."""
