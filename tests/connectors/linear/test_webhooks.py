"""Webhook verification and parsing, with Linear's sample payloads."""

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sourcesync.connectors.linear.errors import WebhookRejectedError
from sourcesync.connectors.linear.ids import linear_issue_id, linear_project_id
from sourcesync.connectors.linear.webhooks import parse_webhook, verify_signature

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "linear"
SECRET = "whsec-test"


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivered(payload: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(payload["webhookTimestamp"] / 1000, UTC)


def test_signed_comment_delivery_asks_to_refresh_its_issue() -> None:
    body = (FIXTURES / "webhook-comment-create-linear-sdk-test.json").read_bytes()
    payload = json.loads(body)

    event = parse_webhook(body, sign(body), SECRET, now=delivered(payload) + timedelta(seconds=5))

    assert (event.action, event.type) == ("create", "Comment")
    assert event.entity_id == payload["data"]["id"]
    assert event.issue_ids == ("539068e2-ae88-4d09-bd75-22eb4a59612f",)
    assert event.deleted_ids == ()
    assert event.delivered_at == delivered(payload)


def test_bad_signature_is_rejected() -> None:
    body = (FIXTURES / "webhook-comment-create-linear-sdk-test.json").read_bytes()
    now = delivered(json.loads(body))

    with pytest.raises(WebhookRejectedError, match="does not match"):
        parse_webhook(body, sign(body, "another-secret"), SECRET, now=now)
    with pytest.raises(WebhookRejectedError, match="does not match"):
        parse_webhook(body + b" ", sign(body), SECRET, now=now)
    with pytest.raises(WebhookRejectedError, match="missing"):
        verify_signature(body, None, SECRET)


@pytest.mark.parametrize("offset", [timedelta(seconds=61), timedelta(seconds=-61)])
def test_stale_or_future_timestamp_is_rejected(offset: timedelta) -> None:
    body = (FIXTURES / "webhook-issue-create-envelope-linear-sdk-handler-test.json").read_bytes()
    now = delivered(json.loads(body)) + offset

    with pytest.raises(WebhookRejectedError, match="stale or replayed"):
        parse_webhook(body, sign(body), SECRET, now=now)


def delivery(action: str, kind: str, data: dict[str, Any], **extra: Any) -> tuple[bytes, datetime]:
    now = datetime(2025, 8, 8, 5, 0, tzinfo=UTC)
    payload = {
        "action": action,
        "type": kind,
        "data": data,
        "webhookTimestamp": int(now.timestamp() * 1000),
        **extra,
    }
    return json.dumps(payload).encode(), now


def test_issue_update_refreshes_the_issue_and_both_projects() -> None:
    body, now = delivery(
        "update",
        "Issue",
        {"id": "i1", "projectId": "p2", "archivedAt": None},
        updatedFrom={"projectId": "p1"},
    )

    event = parse_webhook(body, sign(body), SECRET, now=now)

    assert event.issue_ids == ("i1",)
    assert event.project_ids == ("p2", "p1")
    assert event.deleted_ids == ()


@pytest.mark.parametrize(
    ("action", "data"),
    [("remove", {"id": "i1"}), ("update", {"id": "i1", "archivedAt": "2025-08-08T05:00:00Z"})],
)
def test_removed_or_archived_issue_is_deleted(action: str, data: dict[str, Any]) -> None:
    body, now = delivery(action, "Issue", data)

    event = parse_webhook(body, sign(body), SECRET, now=now)

    assert event.deleted_ids == (linear_issue_id("i1"),)
    assert event.issue_ids == ()


def test_project_remove_and_update() -> None:
    body, now = delivery("remove", "Project", {"id": "p1"})
    assert parse_webhook(body, sign(body), SECRET, now=now).deleted_ids == (
        linear_project_id("p1"),
    )
    body, now = delivery("update", "Project", {"id": "p1"})
    assert parse_webhook(body, sign(body), SECRET, now=now).project_ids == ("p1",)


def test_unrelated_types_ask_for_nothing() -> None:
    body, now = delivery("create", "Reaction", {"id": "r1"})

    event = parse_webhook(body, sign(body), SECRET, now=now)

    assert (event.issue_ids, event.project_ids, event.deleted_ids) == ((), (), ())


def test_malformed_bodies_are_rejected() -> None:
    for body in (b"not json", b"[]", json.dumps({"action": "create"}).encode()):
        with pytest.raises(WebhookRejectedError):
            parse_webhook(body, sign(body), SECRET, now=datetime.now(UTC))
