"""Constants and settings of the Vercel connector."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DEFAULT_KEEP",
    "DEFAULT_TOKEN_ENV",
    "MAX_PAGE_SIZE",
    "VERCEL_API_URL",
    "VercelSettings",
]

VERCEL_API_URL = "https://api.vercel.com"
DEFAULT_TOKEN_ENV = "VERCEL_TOKEN"
DEFAULT_KEEP = 200
"""Deployments kept per project: older ones leave the store (retention)."""

MAX_PAGE_SIZE = 100
"""Vercel's largest ``limit`` for deployment and project listings."""

FINAL_STATES = frozenset({"READY", "ERROR", "CANCELED", "DELETED"})
"""Deployment states that no longer change; any other (BUILDING, QUEUED, INITIALIZING) is
checked again by the next incremental sync."""


@dataclass(frozen=True)
class VercelSettings:
    """How to reach Vercel and how much to ask for and keep.

    ``overlap_ms`` widens each incremental window back in time, because deployments can be
    listed a little after their ``created`` time. ``max_retries`` bounds the retries of one
    request after a 429 or a 5xx; ``max_wait_s`` is the longest a client sleeps for one
    retry: a rate limit that resets later than that is handed to the core as
    ``SourceUnavailableError(retry_after_s=...)``, which retries the batch when Vercel says.
    """

    api_url: str = VERCEL_API_URL
    token_env: str = DEFAULT_TOKEN_ENV
    team: str | None = None
    page_size: int = MAX_PAGE_SIZE
    overlap_ms: int = 10 * 60 * 1000
    timeout_s: float = 30.0
    max_retries: int = 4
    backoff_s: float = 0.5
    max_wait_s: float = 30.0
    log_cap_chars: int = 20_000
    """The most characters of one build log stored (errors and warnings first)."""
    log_context_lines: int = 2
    stats_window: int = 50
    """Finished deployments per target that the build statistics are computed over."""

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        if self.max_retries < 0 or self.stats_window < 1:
            raise ValueError("max_retries must be >= 0 and stats_window >= 1")
