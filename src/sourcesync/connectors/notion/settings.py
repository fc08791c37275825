"""Constants and settings of the Notion connector."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

__all__ = [
    "DEFAULT_TOKEN_ENV",
    "NOTION_API_URL",
    "NOTION_VERSION",
    "PAGE_SIZE",
    "NotionSettings",
]

NOTION_API_URL = "https://api.notion.com"
"""notion-client appends ``/v1/``; tests aim this at a loopback fake."""
NOTION_VERSION = "2025-09-03"
"""Databases hold data sources; rows are queried per data source."""
DEFAULT_TOKEN_ENV = "NOTION_TOKEN"
PAGE_SIZE = 100
"""Notion's maximum ``page_size`` for search, queries and block children."""


@dataclass(frozen=True)
class NotionSettings:
    """How to reach Notion, how fast, and how much to do at once.

    Notion allows about 3 requests a second per integration, averaged: ``requests_per_second``
    is shared by every sync of the same token in the process (see ``rate_limits.py``), with
    ``burst`` requests allowed at once. ``block_concurrency`` bounds the requests of one sync
    in flight (block trees are fetched concurrently); ``batch_size`` pages make one batch.
    """

    api_url: str = NOTION_API_URL
    token_env: str = DEFAULT_TOKEN_ENV
    overlap: timedelta = timedelta(minutes=2)
    requests_per_second: float = 3.0
    burst: int = 3
    block_concurrency: int = 8
    batch_size: int = 50
    max_retries: int = 6
    """Tries again after a 5xx or a network error, with exponential backoff."""
    max_rate_limited: int = 60
    """Tries again after a 429, each after Notion's ``Retry-After``."""
    backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    timeout_s: float = 30.0
    max_block_depth: int = 12

    def __post_init__(self) -> None:
        if self.requests_per_second < 0:
            raise ValueError("requests_per_second must be >= 0 (0: unthrottled)")
        for name in ("burst", "block_concurrency", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.overlap < timedelta(0):
            raise ValueError(f"overlap must not be negative, got {self.overlap}")
