"""Errors of the Notion connector beyond the shared `SourceConfigError` and
`SourceUnavailableError`."""

from __future__ import annotations

from ..errors import ConnectorError
from ..webhooks import WebhookRejectedError

__all__ = ["NotionAPIError", "NotionNotFoundError", "WebhookRejectedError"]


class NotionAPIError(ConnectorError):
    """Notion refused a request for a reason other than auth, access or rate limits (a
    validation error): retrying the same request will fail the same way."""

    def __init__(self, message: str, *, status: int, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class NotionNotFoundError(ConnectorError):
    """The object does not exist or the integration cannot see it (``object_not_found``,
    ``restricted_resource``): its document is gone."""
