"""What every part of the executor shares: the state, the functions, the settings, and
the effects a transaction leaves for after its commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .config import EngineConfig
from .registry import Registry
from .state import StateStore


@dataclass
class Effects:
    """Work a transaction produces beyond its writes.

    ``emit`` holds internal events (``inngest/function.finished``, ...) to ingest before
    the transaction commits; ``wake`` and ``finished_runs`` are acted on after it.
    """

    wake: bool = False
    finished_runs: list[str] = field(default_factory=list)
    emit: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Core:
    store: StateStore
    registry: Registry
    config: EngineConfig
