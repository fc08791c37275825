"""Linear: issues and projects, with their comments and relationships, as documents.

`LinearSource` lists and fetches (full, incremental, by id, ids only), `LinearClient`
speaks GraphQL to Linear, and `parse_webhook` verifies and reads webhook deliveries.
"""

from .client import LinearClient
from .errors import LinearAPIError, WebhookRejectedError
from .ids import linear_issue_id, linear_project_id
from .settings import DEFAULT_TOKEN_ENV, LINEAR_API_URL, LinearSettings, TokenKind
from .source import LinearBatch, LinearDocuments, LinearSource
from .transform import issue_document, project_document
from .webhooks import (
    SIGNATURE_HEADER,
    LinearWebhookEvent,
    WebhookAction,
    parse_webhook,
    verify_signature,
)

__all__ = [
    "DEFAULT_TOKEN_ENV",
    "LINEAR_API_URL",
    "SIGNATURE_HEADER",
    "LinearAPIError",
    "LinearBatch",
    "LinearClient",
    "LinearDocuments",
    "LinearSettings",
    "LinearSource",
    "LinearWebhookEvent",
    "TokenKind",
    "WebhookAction",
    "WebhookRejectedError",
    "issue_document",
    "linear_issue_id",
    "linear_project_id",
    "parse_webhook",
    "project_document",
    "verify_signature",
]
