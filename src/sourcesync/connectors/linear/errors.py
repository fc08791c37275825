"""Errors of the Linear connector beyond the shared `SourceConfigError` and
`SourceUnavailableError`."""

from __future__ import annotations

from ..errors import ConnectorError
from ..webhooks import WebhookRejectedError

__all__ = ["LinearAPIError", "WebhookRejectedError"]


class LinearAPIError(ConnectorError):
    """Linear refused a request for a reason other than auth or rate limits (a 4xx or a
    GraphQL error): retrying the same request will fail the same way."""

    def __init__(self, message: str, *, status_code: int, code: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
