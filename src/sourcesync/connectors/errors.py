"""Errors every connector raises, so workflows can tell a user's mistake from a blip."""

from __future__ import annotations


class ConnectorError(Exception):
    """Base class of connector errors."""


class SourceConfigError(ConnectorError):
    """The source is misconfigured (bad path, missing repository, bad token): retrying won't help."""


class SourceUnavailableError(ConnectorError):
    """A transient failure (network, rate limit, 5xx): worth retrying."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
