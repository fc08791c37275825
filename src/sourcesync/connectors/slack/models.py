"""What the connector reads from Slack: channels, message timestamps, and which messages
are threads, replies, or noise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from .settings import NOISE_SUBTYPES

__all__ = [
    "Channel",
    "activity_ts",
    "is_noise",
    "is_reply",
    "is_thread_parent",
    "ts_day",
    "ts_float",
    "ts_time",
]

Message = dict[str, Any]


@dataclass(frozen=True)
class Channel:
    """A channel the bot reads. `members` are user ids, known for private channels only."""

    id: str
    name: str
    private: bool
    member_count: int | None = None
    members: tuple[str, ...] | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any], members: tuple[str, ...] | None = None) -> Channel:
        private = bool(data.get("is_private") or data.get("is_group"))
        count = data.get("num_members")
        if members is not None:
            count = len(members)
        return cls(
            id=str(data["id"]),
            name=str(data.get("name") or data["id"]),
            private=private,
            member_count=count if isinstance(count, int) else None,
            members=members,
        )


def ts_float(ts: str) -> float:
    return float(ts)


def ts_time(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC)


def ts_day(ts: str) -> date:
    """The UTC day a message was posted on (a channel-day document's key)."""
    return ts_time(ts).date()


def is_noise(message: Message) -> bool:
    return message.get("subtype") in NOISE_SUBTYPES


def is_reply(message: Message) -> bool:
    """A thread reply (also shown in the channel when broadcast): it belongs to its thread."""
    thread_ts = message.get("thread_ts")
    return (thread_ts is not None and thread_ts != message.get("ts")) or (
        message.get("subtype") == "thread_broadcast"
    )


def is_thread_parent(message: Message) -> bool:
    """A message with replies: its thread is one document."""
    return (
        message.get("thread_ts") == message.get("ts") and int(message.get("reply_count") or 0) > 0
    )


def activity_ts(message: Message) -> float:
    """The latest moment a top-level message (or its thread) changed, as far as history tells:
    posted, edited, or replied to."""
    moments = [float(message["ts"])]
    if message.get("latest_reply"):
        moments.append(float(message["latest_reply"]))
    edited = message.get("edited")
    if isinstance(edited, dict) and edited.get("ts"):
        moments.append(float(edited["ts"]))
    return max(moments)
