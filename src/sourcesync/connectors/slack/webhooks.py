"""Slack Events API deliveries: request signing, the replay window, and what each event
asks of the sync.

Slack signs every request (`url_verification` included) with the app's signing secret:
`X-Slack-Signature` is `v0=` + hex HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{body}`
(https://docs.slack.dev/authentication/verifying-requests-from-slack). The signature is
compared in constant time before the body is parsed; a timestamp more than five minutes
off is refused, so a captured request cannot be replayed. Slack retries a delivery it saw
no 2xx for within 3 s (`X-Slack-Retry-Num`), with the same `event_id`: the change's
delivery id is that event id, so a retry changes nothing twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from ..webhooks import WebhookRejectedError, WebhookReply
from .ids import slack_thread_id

__all__ = [
    "RETRY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "SlackEvent",
    "check_timestamp",
    "read_delivery",
    "sign",
    "verify_signature",
]

SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
RETRY_HEADER = "X-Slack-Retry-Num"
TOLERANCE_S = 5 * 60
MAX_DEPTH = 64

_SYNCED_EVENTS = frozenset(
    {
        "message",
        "channel_deleted",
        "channel_archive",
        "channel_unarchive",
        "channel_rename",
        "channel_created",
        "group_deleted",
        "group_archive",
        "group_unarchive",
        "group_rename",
        "member_joined_channel",
        "member_left_channel",
    }
)
"""Events that change a document (a message, its thread or day) or a channel's facts and
members; anything else (reactions, app mentions already seen as messages) is ignored."""


@dataclass(frozen=True, kw_only=True)
class SlackEvent:
    """One verified `event_callback`: its id and what it removes at once."""

    event_id: str
    team_id: str | None
    type: str
    channel: str | None
    removed_ids: tuple[str, ...] = ()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` under `secret`."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify_signature(
    body: bytes, timestamp: str | None, signature: str | None, secret: str
) -> bool:
    """True when `secret` signed `body` at `timestamp` (compared in constant time)."""
    if not secret or not timestamp or not signature:
        return False
    expected = sign(secret, timestamp.strip(), body)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


def check_timestamp(timestamp: str | None, *, now: float | None = None) -> None:
    """Refuse a request dated more than five minutes from now (a replay)."""
    try:
        stamp = int(str(timestamp).strip())
    except ValueError:
        raise WebhookRejectedError(f"missing or unreadable {TIMESTAMP_HEADER}") from None
    moment = time.time() if now is None else now
    if abs(moment - stamp) > TOLERANCE_S:
        raise WebhookRejectedError(
            f"{TIMESTAMP_HEADER} {stamp} is more than five minutes from now: refusing a "
            "stale or replayed request"
        )


def read_delivery(body: bytes) -> SlackEvent | WebhookReply:
    """Read a verified, fresh request: the `url_verification` answer, an ignored event, or
    the event that changes documents."""
    payload = _json(body)
    kind = payload.get("type")
    if kind == "url_verification":
        challenge = payload.get("challenge")
        if not isinstance(challenge, str):
            raise WebhookRejectedError("url_verification without a challenge")
        return WebhookReply(200, {"challenge": challenge})
    if kind != "event_callback":
        return WebhookReply(200, {"ignored": str(kind)})
    event = payload.get("event")
    event_id = payload.get("event_id")
    if not isinstance(event, dict) or not isinstance(event_id, str) or not event_id:
        raise WebhookRejectedError("event_callback without event or event_id")
    event_type = str(event.get("type"))
    if event_type not in _SYNCED_EVENTS:
        return WebhookReply(200, {"ignored": event_type})
    channel = _channel_of(event)
    team = payload.get("team_id")
    return SlackEvent(
        event_id=event_id,
        team_id=team if isinstance(team, str) else None,
        type=event_type,
        channel=channel,
        removed_ids=_removed(event, channel),
    )


def _json(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise WebhookRejectedError(f"request body is not JSON: {error}") from error
    if not isinstance(payload, dict):
        raise WebhookRejectedError("request body is not a JSON object")
    if _depth(payload) > MAX_DEPTH:
        raise WebhookRejectedError(f"request body nests deeper than {MAX_DEPTH} levels")
    return payload


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _channel_of(event: dict[str, Any]) -> str | None:
    channel = event.get("channel")
    if isinstance(channel, dict):  # channel_created, channel_rename
        channel = channel.get("id")
    return channel if isinstance(channel, str) else None


def _removed(event: dict[str, Any], channel: str | None) -> tuple[str, ...]:
    """A deleted thread parent takes its thread's document with it at once; every other
    change (an edit, a deleted reply or channel message) rebuilds its thread or day in the
    debounced sync."""
    if event.get("type") != "message" or event.get("subtype") != "message_deleted":
        return ()
    previous = event.get("previous_message")
    deleted_ts = event.get("deleted_ts")
    if not channel or not isinstance(previous, dict) or not isinstance(deleted_ts, str):
        return ()
    if previous.get("thread_ts") == deleted_ts:
        return (slack_thread_id(channel, deleted_ts),)
    return ()
