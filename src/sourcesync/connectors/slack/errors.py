"""Errors of the Slack connector beyond the shared `SourceConfigError` and
`SourceUnavailableError`."""

from __future__ import annotations

from ..errors import ConnectorError

__all__ = ["SlackAPIError", "SlackChannelGoneError"]


class SlackAPIError(ConnectorError):
    """Slack refused a request for a reason other than auth, scopes or rate limits:
    sending it again would fail the same way."""

    def __init__(self, message: str, *, error: str) -> None:
        super().__init__(message)
        self.error = error


class SlackChannelGoneError(SlackAPIError):
    """The channel was deleted, archived, or the bot was removed from it."""
