"""Notion webhook deliveries: the verification handshake, signatures, and what each event
asks of the sync.

When a subscription is created, Notion POSTs ``{"verification_token": "..."}`` unsigned;
that token then signs every delivery: ``X-Notion-Signature: sha256=<hex>``, the HMAC-SHA256
of the raw body. Page events ask for a (debounced) incremental sync, which re-reads what was
edited; a deleted page is removed at once, without waiting for the sync.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from .errors import WebhookRejectedError
from .ids import notion_data_source_id, notion_page_id

__all__ = [
    "SIGNATURE_HEADER",
    "NotionWebhookEvent",
    "is_verification",
    "read_event",
    "signature_matches",
]

SIGNATURE_HEADER = "X-Notion-Signature"
_MAX_HANDSHAKE_BYTES = 4096

SYNCED_EVENTS = frozenset(
    {
        "page.created",
        "page.content_updated",
        "page.properties_updated",
        "page.moved",
        "page.undeleted",
        "page.deleted",
        "database.created",
        "database.content_updated",
        "database.moved",
        "database.schema_updated",
        "database.deleted",
        "database.undeleted",
        "data_source.created",
        "data_source.content_updated",
        "data_source.moved",
        "data_source.schema_updated",
        "data_source.deleted",
        "data_source.undeleted",
    }
)
"""Events that change a document; comments, locks and the rest change none."""


@dataclass(frozen=True, kw_only=True)
class NotionWebhookEvent:
    """One verified event: its id, type, and the documents it removes at once."""

    id: str
    type: str
    entity_id: str
    removed_ids: tuple[str, ...] = ()


def signature_matches(body: bytes, signature: str | None, secret: str) -> bool:
    """True when ``signature`` is ``sha256=`` and the HMAC-SHA256 of ``body`` under
    ``secret``, compared in constant time."""
    if not secret or not signature:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


def is_verification(body: bytes) -> bool:
    """The subscription's one unsigned request, which carries ``verification_token``."""
    if len(body) > _MAX_HANDSHAKE_BYTES or b"verification_token" not in body:
        return False
    try:
        payload = json.loads(body)
    except ValueError:
        return False
    return (
        isinstance(payload, dict)
        and isinstance(payload.get("verification_token"), str)
        and "type" not in payload
    )


def read_event(body: bytes) -> NotionWebhookEvent:
    """A verified delivery's event; `WebhookRejectedError` when it is not one."""
    try:
        payload: Any = json.loads(body)
    except ValueError as error:
        raise WebhookRejectedError("the webhook body is not JSON") from error
    if not isinstance(payload, dict):
        raise WebhookRejectedError("the webhook body is not a JSON object")
    event_id, kind, entity = payload.get("id"), payload.get("type"), payload.get("entity")
    if not isinstance(event_id, str) or not isinstance(kind, str) or not isinstance(entity, dict):
        raise WebhookRejectedError("the webhook body lacks id, type or entity")
    entity_id = str(entity.get("id") or "")
    if not entity_id:
        raise WebhookRejectedError("the webhook entity has no id")
    removed: tuple[str, ...] = ()
    if kind == "page.deleted":
        removed = (notion_page_id(entity_id),)
    elif kind == "data_source.deleted":
        removed = (notion_data_source_id(entity_id),)
    return NotionWebhookEvent(id=event_id, type=kind, entity_id=entity_id, removed_ids=removed)
