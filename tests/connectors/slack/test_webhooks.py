"""Slack Events API requests: signature v0 (the official test vector), the five-minute
window, url_verification, retries, and what each event asks of the sync."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from sourcesync.connectors.slack.ids import slack_thread_id
from sourcesync.connectors.slack.spec import SlackConfig, SlackWebhooks
from sourcesync.connectors.slack.webhooks import SlackEvent, check_timestamp, sign, verify_signature
from sourcesync.connectors.webhooks import WebhookRejectedError, WebhookReply, WebhookRequest
from tests.fakes.slack import FakeSlack

VECTOR = json.loads(
    (
        Path(__file__).resolve().parents[2]
        / "fixtures"
        / "slack"
        / "request-signing-test-vector.json"
    ).read_text()
)
SECRET = "slack-signing-secret"
HANDLER = SlackWebhooks()
CONFIG = SlackConfig(signing_secret_env="SOURCESYNC_TEST_SLACK_SECRET")


def request(
    body: bytes, *, secret: str = SECRET, stamp: int | None = None, **headers: str
) -> WebhookRequest:
    timestamp = str(int(time.time()) if stamp is None else stamp)
    signed = {
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": sign(secret, timestamp, body),
    }
    return WebhookRequest(
        headers=signed | {k.lower().replace("_", "-"): v for k, v in headers.items()}, body=body
    )


def test_the_official_test_vector() -> None:
    body = VECTOR["body"].encode()
    timestamp = VECTOR["headers"]["X-Slack-Request-Timestamp"]
    assert sign(VECTOR["signing_secret"], timestamp, body) == VECTOR["expected_signature"]
    assert verify_signature(body, timestamp, VECTOR["expected_signature"], VECTOR["signing_secret"])
    assert not verify_signature(
        body + b"x", timestamp, VECTOR["expected_signature"], VECTOR["signing_secret"]
    )
    assert not verify_signature(
        body, str(int(timestamp) + 1), VECTOR["expected_signature"], VECTOR["signing_secret"]
    )
    assert not verify_signature(body, timestamp, VECTOR["expected_signature"], "another-secret")
    assert not verify_signature(body, timestamp, None, VECTOR["signing_secret"])
    # The vector is from 2018: a real verifier refuses it as a replay.
    check_timestamp(timestamp, now=int(timestamp) + 299)
    with pytest.raises(WebhookRejectedError, match="five minutes"):
        check_timestamp(timestamp, now=int(timestamp) + 301)


def test_the_handler_verifies_with_the_source_s_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCESYNC_TEST_SLACK_SECRET", SECRET)
    secret = HANDLER.secret(CONFIG)
    assert secret == SECRET
    body = b'{"type": "event_callback"}'
    assert HANDLER.verify(request(body), secret)
    assert not HANDLER.verify(request(body, secret="forged"), secret)
    assert HANDLER.secret(SlackConfig()) is None


def test_a_stale_request_is_refused_before_its_body_is_read() -> None:
    stale = request(b"not json at all", stamp=int(time.time()) - 600)
    with pytest.raises(WebhookRejectedError, match="five minutes"):
        HANDLER.parse(stale)


def test_url_verification_is_answered_with_its_challenge() -> None:
    body = json.dumps(
        {
            "token": "t",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    ).encode()
    reply = HANDLER.parse(request(body))
    assert reply == WebhookReply(
        200, {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    )


def parsed(body: bytes, **headers: str) -> SlackEvent:
    event = HANDLER.parse(request(body, **headers))
    assert isinstance(event, SlackEvent)
    return event


def test_an_edit_asks_for_a_sync_and_a_retry_is_the_same_delivery() -> None:
    with FakeSlack() as slack:
        channel = slack.add_channel("general")
        ts = slack.post(channel, "U1", "hello")
        body = slack.event_for(slack.edit(channel, ts, "hello there"))
    first = HANDLER.change_for(parsed(body), CONFIG)
    retried = HANDLER.change_for(
        parsed(body, X_Slack_Retry_Num="1", X_Slack_Retry_Reason="http_timeout"), CONFIG
    )
    assert first is not None and first == retried
    assert first.sync and first.removed_ids == ()
    assert first.delivery_id == f"slack:{json.loads(body)['event_id']}"


def test_a_deleted_thread_parent_removes_its_thread_at_once() -> None:
    with FakeSlack() as slack:
        channel = slack.add_channel("general")
        parent = slack.post(channel, "U1", "question")
        reply = slack.post(channel, "U2", "answer", thread_ts=parent)
        reply_deleted = slack.event_for(slack.delete(channel, reply))
        parent_deleted = slack.event_for(slack.delete(channel, parent))
    change = HANDLER.change_for(parsed(parent_deleted), CONFIG)
    assert change is not None and change.removed_ids == (slack_thread_id(channel, parent),)
    change = HANDLER.change_for(parsed(reply_deleted), CONFIG)
    assert change is not None and change.removed_ids == () and change.sync


@pytest.mark.parametrize(
    "event",
    [
        {"type": "channel_archive", "channel": "C1"},
        {"type": "channel_deleted", "channel": "C1"},
        {"type": "member_joined_channel", "channel": "C1", "user": "U1"},
    ],
)
def test_channel_events_ask_for_a_sync(event: dict[str, Any]) -> None:
    with FakeSlack() as slack:
        body = slack.event_for(event)
    change = HANDLER.change_for(parsed(body), CONFIG)
    assert change is not None and change.sync


def test_other_events_are_acknowledged_and_ignored() -> None:
    with FakeSlack() as slack:
        body = slack.event_for({"type": "reaction_added", "reaction": "thumbsup"})
    assert HANDLER.parse(request(body)) == WebhookReply(200, {"ignored": "reaction_added"})


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[1]",
        b'{"type": "event_callback", "x": NaN}',
        b'{"type": "event_callback"}',
        b"[" * 100 + b"]" * 100,
    ],
)
def test_malformed_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(WebhookRejectedError):
        HANDLER.parse(request(body))
