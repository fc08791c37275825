"""Names of Slack documents (``Document.id``), as in the original design."""

from __future__ import annotations

from datetime import date

from sourcesync.documents import readable_id

__all__ = ["slack_day_id", "slack_thread_id"]


def slack_thread_id(channel_id: str, thread_ts: str) -> str:
    """`slack:message:{channel}:{ts}`: a thread, named by its parent message."""
    return readable_id("slack", "message", channel_id, thread_ts)


def slack_day_id(channel_id: str, day: date) -> str:
    """`slack:day:{channel}:{YYYY-MM-DD}`: a channel's messages outside threads on one
    UTC day."""
    return readable_id("slack", "day", channel_id, day.isoformat())
