"""Notion webhook deliveries: handshake, signatures, what each event asks."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from sourcesync.connectors.notion.ids import notion_page_id
from sourcesync.connectors.notion.spec import NotionConfig, NotionWebhooks
from sourcesync.connectors.notion.webhooks import NotionWebhookEvent
from sourcesync.connectors.webhooks import WebhookRejectedError, WebhookReply, WebhookRequest

SECRET = "secret_verification_token"
PAGE = "0c5e8f62-7e0e-4a73-b1c2-3b1d0f0f7a11"


def _request(payload: object, secret: str | None = SECRET) -> WebhookRequest:
    body = json.dumps(payload).encode()
    headers = {}
    if secret is not None:
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers["x-notion-signature"] = f"sha256={digest}"
    return WebhookRequest(headers=headers, body=body)


def _event(kind: str) -> dict[str, object]:
    return {"id": "evt-1", "type": kind, "entity": {"id": PAGE, "type": "page"}, "data": {}}


def test_the_verification_request_is_answered_without_echoing_the_token() -> None:
    reply = NotionWebhooks().handshake(_request({"verification_token": SECRET}, secret=None))
    assert reply is not None and reply.status == 200
    assert SECRET not in json.dumps(dict(reply.body))
    assert NotionWebhooks().handshake(_request(_event("page.created"))) is None


def test_signatures_are_checked_against_the_raw_body() -> None:
    handler = NotionWebhooks()
    request = _request(_event("page.content_updated"))
    assert handler.verify(request, SECRET)
    assert not handler.verify(request, "another-secret")
    tampered = WebhookRequest(headers=request.headers, body=request.body + b" ")
    assert not handler.verify(tampered, SECRET)
    assert not handler.verify(WebhookRequest(headers={}, body=request.body), SECRET)


def test_edits_ask_for_a_sync_and_deletions_remove_at_once() -> None:
    handler = NotionWebhooks()
    config = NotionConfig()
    edited = handler.parse(_request(_event("page.content_updated")))
    assert isinstance(edited, NotionWebhookEvent)
    change = handler.change_for(edited, config)
    assert change.sync and change.removed_ids == () and change.delivery_id == "notion:evt-1"
    deleted = handler.parse(_request(_event("page.deleted")))
    assert isinstance(deleted, NotionWebhookEvent)
    change = handler.change_for(deleted, config)
    assert change.removed_ids == (notion_page_id(PAGE),) and not change.sync


def test_other_events_are_ignored_and_malformed_ones_refused() -> None:
    handler = NotionWebhooks()
    ignored = handler.parse(_request(_event("comment.created")))
    assert isinstance(ignored, WebhookReply) and ignored.status == 202
    with pytest.raises(WebhookRejectedError):
        handler.parse(WebhookRequest(headers={}, body=b"[1]"))
    with pytest.raises(WebhookRejectedError):
        handler.parse(_request({"type": "page.created"}))
