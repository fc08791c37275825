"""Constants and settings of the Linear connector."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

__all__ = [
    "DEFAULT_TOKEN_ENV",
    "LINEAR_API_URL",
    "MAX_PAGE_SIZE",
    "MAX_QUERY_COMPLEXITY",
    "LinearSettings",
    "TokenKind",
]

LINEAR_API_URL = "https://api.linear.app/graphql"
DEFAULT_TOKEN_ENV = "LINEAR_API_KEY"

# Linear rejects a single query above 10,000 complexity points (each scalar 0.1, each object
# 1, a connection multiplies its children by `first`, 50 when absent) and caps `first` at 250.
MAX_QUERY_COMPLEXITY = 10_000
MAX_PAGE_SIZE = 250

TokenKind = Literal["api_key", "oauth"]
"""A personal API key is sent as `Authorization: <key>`, an OAuth token as `Bearer <token>`."""


@dataclass(frozen=True)
class LinearSettings:
    """How to reach Linear and how much to ask for at once.

    `batch_size` is the number of issues (or projects) fetched in full by one request and
    yielded as one batch. An issue carries its first 50 comments (with their authors), 25
    labels, 25 sub-issues and 25 relations each way in the same request (see `queries.py`),
    about 700 points by Linear's rule, so 10 issues make about 7,000: under the limit of
    10,000, with room for a field or two more. Listing what changed asks only for ids and
    timestamps, so it pages at Linear's maximum; further pages of nested connections ask for
    `nested_page_size` items with only the fields of that connection.
    """

    api_url: str = LINEAR_API_URL
    token_env: str = DEFAULT_TOKEN_ENV
    token_kind: TokenKind = "api_key"
    overlap: timedelta = timedelta(minutes=5)
    batch_size: int = 10
    id_page_size: int = MAX_PAGE_SIZE
    nested_page_size: int = 100
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        for name in ("batch_size", "id_page_size", "nested_page_size"):
            value = getattr(self, name)
            if not 1 <= value <= MAX_PAGE_SIZE:
                raise ValueError(f"{name} must be between 1 and {MAX_PAGE_SIZE}, got {value}")
        if self.overlap < timedelta(0):
            raise ValueError(f"overlap must not be negative, got {self.overlap}")
