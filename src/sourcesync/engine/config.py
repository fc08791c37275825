"""Settings of an embedded engine, and the limits Inngest enforces that it enforces too."""

from __future__ import annotations

from dataclasses import dataclass

MAX_STEPS_PER_RUN = 1_000
MAX_STEP_OUTPUT_BYTES = 4 * 1024 * 1024
MAX_RUN_STATE_BYTES = 32 * 1024 * 1024
# Past this many bytes of events and memos, the SDK fetches them through the API instead.
USE_API_THRESHOLD_BYTES = 4 * 1024 * 1024
IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000
MAX_EVENT_REQUEST_BYTES = 16 * 1024 * 1024
"""The event API reads no more of a request (5,000 events of 3 MiB each are refused anyway)."""
MAX_API_REQUEST_BYTES = 4 * 1024 * 1024
"""Registration and GraphQL requests are read up to this size."""
DEFAULT_RETENTION_MS = 7 * 24 * 3_600_000
PRUNE_BATCH = 500
"""Finished runs (or events) deleted per pass, so pruning never holds the state for long."""


@dataclass
class EngineConfig:
    """Settings of an embedded engine. ``port=0`` picks a free port."""

    state_path: str = ".sourcesync/engine.db"
    host: str = "127.0.0.1"
    port: int = 8288
    signing_key: str | None = None
    """With a signing key, every API but the event API needs it (``Authorization: Bearer``,
    the key or its SDK hash), and calls to apps are signed with it."""
    event_key: str | None = None
    """With an event key, ``POST /e/{key}`` accepts events for this key only."""
    retention_ms: int = DEFAULT_RETENTION_MS
    """Finished runs, their steps and their events are deleted this long after."""
    retry_base_ms: int = 1_000
    retry_max_ms: int = 3_600_000
    max_in_flight: int = 64
