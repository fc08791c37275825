"""Slack threads and channel-days as `Document`s: who said what and when, in order, in
Markdown; channel, visibility, members and participants in metadata."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

from pydantic import JsonValue

from sourcesync.documents import Document

from .ids import slack_day_id, slack_thread_id
from .models import Channel, ts_time
from .mrkdwn import Names, render_mrkdwn

__all__ = ["Workspace", "day_document", "permalink", "thread_document"]

Message = dict[str, Any]
_TITLE_CHARS = 80


@dataclass(frozen=True)
class Workspace:
    """The Slack workspace the token belongs to (`auth.test`): its name and web address."""

    team: str
    url: str

    def archives(self) -> str:
        return self.url.rstrip("/") + "/archives/"


def permalink(workspace: Workspace, channel_id: str, ts: str, thread_ts: str | None = None) -> str:
    """The message's address in Slack (the form `chat.getPermalink` returns), built without
    a request per message."""
    link = f"{workspace.archives()}{channel_id}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={thread_ts}&cid={channel_id}"
    return link


def thread_document(
    channel: Channel,
    messages: Sequence[Message],
    *,
    names: Names,
    workspace: Workspace,
    workspace_id: str,
    source_id: str,
) -> Document:
    """One document per thread: the parent message, then every reply in order."""
    parent, replies = messages[0], list(messages[1:])
    thread_ts = str(parent["ts"])
    authors = _participants(messages, names)
    starter = _author(parent, names)
    first_line = _first_line(_text(parent, names))
    facts = [
        ("Channel", _channel_fact(channel)),
        ("Started by", f"{starter} on {_when(thread_ts)}"),
        ("Participants", ", ".join(name for _, name in authors)),
        ("Replies", str(len(replies))),
    ]
    body = "\n\n".join(_message_block(m, names, with_date=True) for m in messages)
    content = f"# Thread in #{channel.name}: {first_line}\n\n{_facts(facts)}\n\n{body}\n"
    last_ts = str(messages[-1]["ts"])
    link = permalink(workspace, channel.id, thread_ts)
    metadata: dict[str, JsonValue] = {
        "kind": "thread",
        **_channel_metadata(channel),
        "thread_ts": thread_ts,
        "permalink": link,
        "author": {"id": _author_id(parent), "name": starter},
        "participants": [{"id": uid, "name": name} for uid, name in authors],
        "reply_count": len(replies),
        "created_at": _iso(thread_ts),
        "last_activity_at": _iso(last_ts),
    }
    return Document(
        id=slack_thread_id(channel.id, thread_ts),
        workspace_id=workspace_id,
        source_id=source_id,
        source_type="slack",
        title=f"#{channel.name}: {first_line}",
        url=link,
        content=content,
        metadata=metadata,
    )


def day_document(
    channel: Channel,
    day: date,
    messages: Sequence[Message],
    *,
    names: Names,
    workspace: Workspace,
    workspace_id: str,
    source_id: str,
) -> Document:
    """One document per channel and UTC day for the messages posted outside threads."""
    authors = _participants(messages, names)
    facts = [
        ("Channel", _channel_fact(channel)),
        ("Participants", ", ".join(name for _, name in authors)),
        ("Messages", str(len(messages))),
    ]
    body = "\n\n".join(_message_block(m, names, with_date=False) for m in messages)
    content = f"# #{channel.name} on {day.isoformat()}\n\n{_facts(facts)}\n\n{body}\n"
    first_ts, last_ts = str(messages[0]["ts"]), str(messages[-1]["ts"])
    link = permalink(workspace, channel.id, first_ts)
    metadata: dict[str, JsonValue] = {
        "kind": "channel_day",
        **_channel_metadata(channel),
        "date": day.isoformat(),
        "permalink": link,
        "participants": [{"id": uid, "name": name} for uid, name in authors],
        "message_count": len(messages),
        "created_at": _iso(first_ts),
        "last_activity_at": _iso(last_ts),
    }
    return Document(
        id=slack_day_id(channel.id, day),
        workspace_id=workspace_id,
        source_id=source_id,
        source_type="slack",
        title=f"#{channel.name} on {day.isoformat()}",
        url=link,
        content=content,
        metadata=metadata,
    )


def _channel_metadata(channel: Channel) -> dict[str, JsonValue]:
    """Channel facts and who may see the document: a later access-aware search keeps a
    private channel's documents for its members."""
    metadata: dict[str, JsonValue] = {
        "channel": {
            "id": channel.id,
            "name": channel.name,
            "private": channel.private,
            "member_count": channel.member_count,
        },
        "visibility": "private" if channel.private else "public",
    }
    if channel.private:
        metadata["members"] = list(channel.members or ())
    return metadata


def _channel_fact(channel: Channel) -> str:
    kind = "private" if channel.private else "public"
    count = f", {channel.member_count} members" if channel.member_count is not None else ""
    return f"#{channel.name} ({kind}{count})"


def _message_block(message: Message, names: Names, *, with_date: bool) -> str:
    when = ts_time(str(message["ts"]))
    stamp = when.strftime("%Y-%m-%d %H:%M UTC" if with_date else "%H:%M UTC")
    edited = ", edited" if message.get("edited") else ""
    return f"**{_author(message, names)}** ({stamp}{edited}): {_text(message, names)}"


def _text(message: Message, names: Names) -> str:
    if message.get("subtype") == "tombstone":
        return "(message deleted)"
    parts = [render_mrkdwn(str(message.get("text") or ""), names).strip()]
    for item in message.get("files") or ():
        if isinstance(item, dict):
            title = item.get("title") or item.get("name") or "file"
            link = item.get("permalink") or item.get("url_private")
            parts.append(f"[file: {title}]({link})" if link else f"[file: {title}]")
    for item in message.get("attachments") or ():
        if isinstance(item, dict):
            parts.append(_attachment(item, names))
    return "\n".join(part for part in parts if part) or "(no text)"


def _attachment(item: dict[str, Any], names: Names) -> str:
    title = str(item.get("title") or item.get("fallback") or "").strip()
    link = item.get("title_link") or item.get("from_url") or item.get("original_url")
    head = f"[{title or link}]({link})" if link else title
    text = render_mrkdwn(str(item.get("text") or ""), names).strip()
    return "\n".join(p for p in (f"[attachment: {head}]" if head else "", text) if p)


def _author_id(message: Message) -> str | None:
    user = message.get("user") or message.get("bot_id")
    return str(user) if user else None


def _author(message: Message, names: Names) -> str:
    if message.get("subtype") == "tombstone":
        return "(deleted)"
    if message.get("user"):
        return names.user_name(str(message["user"]))
    profile = message.get("bot_profile")
    if message.get("username"):
        return str(message["username"])
    if isinstance(profile, dict) and profile.get("name"):
        return str(profile["name"])
    return "unknown"


def _participants(messages: Iterable[Message], names: Names) -> list[tuple[str, str]]:
    """(id, display name) of everyone who wrote, in order of first message."""
    seen: dict[str, str] = {}
    for message in messages:
        if message.get("subtype") == "tombstone":
            continue
        key = _author_id(message)
        if key and key not in seen:
            seen[key] = _author(message, names)
    return list(seen.items())


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "(no text)"
    return line if len(line) <= _TITLE_CHARS else line[: _TITLE_CHARS - 1].rstrip() + "…"


def _facts(facts: Iterable[tuple[str, str]]) -> str:
    return "\n".join(f"- {name}: {value}" for name, value in facts if value)


def _when(ts: str) -> str:
    return ts_time(ts).strftime("%Y-%m-%d %H:%M UTC")


def _iso(ts: str) -> str:
    return ts_time(ts).astimezone(UTC).isoformat().replace("+00:00", "Z")
