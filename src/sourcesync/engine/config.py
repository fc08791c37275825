"""Settings of an embedded engine, and the limits Inngest enforces that it enforces too."""

from __future__ import annotations

from dataclasses import dataclass

MAX_STEPS_PER_RUN = 1_000
MAX_STEP_OUTPUT_BYTES = 4 * 1024 * 1024
MAX_RUN_STATE_BYTES = 32 * 1024 * 1024
# Past this many bytes of events and memos, the SDK fetches them through the API instead.
USE_API_THRESHOLD_BYTES = 4 * 1024 * 1024
IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000


@dataclass
class EngineConfig:
    """Settings of an embedded engine. ``port=0`` picks a free port."""

    state_path: str = ".sourcesync/engine.db"
    host: str = "127.0.0.1"
    port: int = 8288
    signing_key: str | None = None
    retry_base_ms: int = 1_000
    retry_max_ms: int = 3_600_000
    max_in_flight: int = 64
