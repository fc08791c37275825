"""The channels of one Slack workspace as a source of documents: one per thread, one per
channel and UTC day for the messages outside threads.

Slack lists a channel's history by the time messages were posted, newest first, and has
no feed of edits. So each sync reads, per channel, the history since the channel's cursor
less a lookback (`SlackSettings.lookback`, aligned to a UTC day so every day read is
complete), sorts it oldest first, rebuilds every channel-day document inside it (edits and
deletions show; the core skips unchanged content by hash) and fetches again
(`conversations.replies`) each thread in it that saw activity since the cursor less the
edit window. Documents are yielded in order of their last activity, each batch with the
cursor up to it, so a crash resumes where the last stored batch ended.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from sourcesync.documents import Document

from ..document_source import DocumentBatch
from ..errors import SourceConfigError
from ..spec import SourceCursor
from .client import JSONObject, SlackClient
from .cursor import SlackCursor
from .errors import SlackChannelGoneError
from .ids import slack_day_id, slack_thread_id
from .models import (
    Channel,
    activity_ts,
    is_noise,
    is_reply,
    is_thread_parent,
    ts_day,
)
from .names import SlackNames
from .settings import PRIVATE_SCOPES, PUBLIC_SCOPES, SlackSettings
from .transform import Workspace, day_document, thread_document

__all__ = ["SlackSource"]

Message = dict[str, Any]
_TS = r"^\d+(\.\d+)?$"


def _ts(value: float) -> str:
    return f"{value:.6f}"


def _day_start(moment: float) -> float:
    day = datetime.fromtimestamp(moment, UTC).date()
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


class SlackSource:
    """The public channels the bot is in, and the private ones it is a member of (or the
    channels named), as thread and channel-day documents."""

    def __init__(
        self,
        *,
        workspace_id: str,
        source_id: str,
        settings: SlackSettings | None = None,
        channels: Sequence[str] = (),
        private: bool = True,
        client: SlackClient | None = None,
    ) -> None:
        self.workspace_id = workspace_id
        self.source_id = source_id
        self.settings = settings or SlackSettings()
        self.channel_names = tuple(name.lstrip("#") for name in channels)
        self.private = private
        self.client = client or SlackClient(self.settings)
        self._workspace: Workspace | None = None
        self._names = SlackNames(self.client, self.settings.user_list_pages)
        self._seen: set[str] | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    # -- access -------------------------------------------------------------------------

    def validate(self) -> str:
        """Check the token and its scopes (`auth.test`) and the channels; say what was found."""
        workspace = self.workspace()
        channels = self.channels(strict=True)
        private = sum(channel.private for channel in channels)
        return (
            f"{workspace.team}: {len(channels) - private} public and {private} private "
            "channels the bot is in"
        )

    def workspace(self) -> Workspace:
        """The token's workspace (`auth.test`), after checking the scopes it was granted."""
        if self._workspace is None:
            data, headers = self.client.call_with_headers("auth.test")
            granted = _scopes(headers)
            if granted is not None:
                needed = PUBLIC_SCOPES + (PRIVATE_SCOPES if self.private else ())
                missing = [scope for scope in needed if scope not in granted]
                if missing:
                    hint = (
                        " (or add the source with --no-private to skip private channels)"
                        if set(missing) <= set(PRIVATE_SCOPES)
                        else ""
                    )
                    raise SourceConfigError(
                        f"the Slack token in {self.client.token_env} lacks the scope"
                        f"{'s' if len(missing) > 1 else ''} {', '.join(missing)}: add "
                        f"{'them' if len(missing) > 1 else 'it'} under OAuth & Permissions "
                        f"and reinstall the app{hint}"
                    )
            self._workspace = Workspace(
                team=str(data.get("team") or "Slack"),
                url=str(data.get("url") or "https://slack.com/"),
            )
        return self._workspace

    def channels(self, *, strict: bool = False) -> list[Channel]:
        """The channels to sync, by id; private ones with their members.

        A named channel that is gone (archived, deleted, or the bot was removed) fails
        `strict` listing (adding the source) and is left out of a sync, which then removes
        its documents.
        """
        types = "public_channel,private_channel" if self.private else "public_channel"
        listed: list[JSONObject] = []
        for page in self.client.pages(
            "conversations.list", "channels", types=types, exclude_archived="true"
        ):
            listed += page
        for data in listed:
            self._names.channels[str(data["id"])] = str(data.get("name") or data["id"])
        readable = [c for c in listed if c.get("is_member") and not c.get("is_archived")]
        if self.channel_names:
            by_name = {str(c.get("name")): c for c in listed}
            missing = [name for name in self.channel_names if name not in by_name]
            if missing and strict:
                raise SourceConfigError(
                    f"Slack has no channel named {', '.join('#' + n for n in missing)} that "
                    "this token can see: check the names (without #), and that private "
                    "channels are included"
                )
            outside = [
                n for n in self.channel_names if n in by_name and not by_name[n].get("is_member")
            ]
            if outside and strict:
                raise SourceConfigError(
                    f"the bot is not in {', '.join('#' + n for n in outside)}: invite it "
                    "(/invite @your-bot) and sync again"
                )
            readable = [
                by_name[name]
                for name in dict.fromkeys(self.channel_names)
                if name in by_name and by_name[name].get("is_member")
            ]
        channels = []
        for data in sorted(readable, key=lambda c: str(c["id"])):
            members = None
            if data.get("is_private") or data.get("is_group"):
                members = tuple(
                    str(member)
                    for page in self.client.pages(
                        "conversations.members", "members", channel=data["id"]
                    )
                    for member in page
                )
            channels.append(Channel.from_api(data, members))
        return channels

    # -- DocumentSource -----------------------------------------------------------------

    def changes(self, cursor: SourceCursor | None) -> Iterator[DocumentBatch]:
        """Batches of what changed since `cursor` (everything when None), oldest first
        within each channel; each batch's cursor covers what it and earlier batches hold."""
        self.workspace()
        state = dict(cursor.channels) if isinstance(cursor, SlackCursor) else {}
        full = cursor is None
        seen: set[str] = set()
        channels = self.channels()
        for channel in channels:
            yield from self._channel_changes(channel, state, seen)
        live = {channel.id for channel in channels}
        for channel_id in sorted(set(state) - live):
            gone = self._ids_of_unlisted_channel(channel_id)
            del state[channel_id]
            yield DocumentBatch(
                documents=(), deleted_ids=gone, cursor=SlackCursor(channels=dict(state))
            )
        if full:
            self._seen = seen

    def live_ids(self) -> set[str]:
        """Every document's name: remembered from the full sync that just ran on this
        connector, or listed from history (no replies needed)."""
        if self._seen is not None:
            return set(self._seen)
        names: set[str] = set()
        for channel in self.channels():
            threads, days = _split(self._history(channel.id, None))
            names |= {slack_thread_id(channel.id, str(m["ts"])) for m in threads}
            names |= {slack_day_id(channel.id, day) for day in days}
        return names

    # -- one channel ----------------------------------------------------------------------

    def _history(self, channel_id: str, oldest: float | None) -> list[Message]:
        """Every top-level message posted since `oldest` (inclusive), oldest first."""
        messages: list[Message] = []
        params: dict[str, Any] = {"channel": channel_id}
        if oldest is not None:
            params |= {"oldest": _ts(oldest), "inclusive": "true"}
        for page in self.client.pages("conversations.history", "messages", **params):
            messages += page
        unique = {str(m["ts"]): m for m in messages if m.get("ts")}
        return sorted(unique.values(), key=lambda m: float(m["ts"]))

    def _replies(self, channel_id: str, thread_ts: str) -> list[Message]:
        """The parent and every reply of one thread, in order, noise left out."""
        messages: dict[str, Message] = {}
        for page in self.client.pages(
            "conversations.replies", "messages", channel=channel_id, ts=thread_ts
        ):
            for message in page:
                if message.get("ts") and not is_noise(message):
                    messages.setdefault(str(message["ts"]), message)
        ordered = sorted(messages.values(), key=lambda m: float(m["ts"]))
        ordered.sort(key=lambda m: str(m["ts"]) != thread_ts)  # the parent first
        return ordered

    def _channel_changes(
        self, channel: Channel, state: dict[str, str], seen: set[str]
    ) -> Iterator[DocumentBatch]:
        since_ts = state.get(channel.id)
        since = float(since_ts) if since_ts else None
        oldest = (
            None if since is None else _day_start(since - self.settings.lookback.total_seconds())
        )
        try:
            history = self._history(channel.id, oldest)
        except SlackChannelGoneError:
            return  # left or removed since it was listed: the next sync forgets it
        refresh_after = None if since is None else since - self.settings.edit_window.total_seconds()
        threads, days = _split(history)
        newest = max([activity_ts(m) for m in history] + ([since] if since else []), default=None)
        items: list[tuple[float, str, Any]] = []
        for day, messages in days.items():
            items.append((max(activity_ts(m) for m in messages), "day", (day, messages)))
        for parent in threads:
            activity = activity_ts(parent)
            seen.add(slack_thread_id(channel.id, str(parent["ts"])))
            if refresh_after is None or activity >= refresh_after:
                items.append((activity, "thread", parent))
        seen |= {slack_day_id(channel.id, day) for day in days}
        items.sort(key=lambda item: item[0])
        deleted = (
            []
            if oldest is None or since is None
            else _gone_in_window(channel.id, history, days, oldest, since)
        )
        size = self.settings.batch_size
        for start in range(0, len(items), size):
            chunk = items[start : start + size]
            last = start + size >= len(items)
            documents = [self._document(channel, kind, payload) for _, kind, payload in chunk]
            state[channel.id] = _ts(newest if last and newest is not None else chunk[-1][0])
            yield DocumentBatch(
                documents=[d for d in documents if d is not None],
                deleted_ids=deleted if last else (),
                cursor=SlackCursor(channels=dict(state)),
            )
        if not items and (deleted or (newest is not None and state.get(channel.id) != _ts(newest))):
            if newest is not None:
                state[channel.id] = _ts(newest)
            yield DocumentBatch(
                documents=(), deleted_ids=deleted, cursor=SlackCursor(channels=dict(state))
            )

    def _document(self, channel: Channel, kind: str, payload: Any) -> Document | None:
        workspace = self.workspace()
        if kind == "day":
            day, messages = payload
            return day_document(
                channel,
                day,
                messages,
                names=self._names,
                workspace=workspace,
                workspace_id=self.workspace_id,
                source_id=self.source_id,
            )
        try:
            messages = self._replies(channel.id, str(payload["ts"]))
        except SlackChannelGoneError:
            return None
        if not messages:
            return None
        return thread_document(
            channel,
            messages,
            names=self._names,
            workspace=workspace,
            workspace_id=self.workspace_id,
            source_id=self.source_id,
        )

    def _ids_of_unlisted_channel(self, channel_id: str) -> list[str]:
        """A channel no longer synced (archived, left, no longer named): the names of its
        documents, from its history when Slack still shows it (archived channels), else
        none (the next full sync prunes them)."""
        try:
            threads, days = _split(self._history(channel_id, None))
        except SlackChannelGoneError:
            return []
        return [slack_thread_id(channel_id, str(m["ts"])) for m in threads] + [
            slack_day_id(channel_id, day) for day in days
        ]


def _split(history: Sequence[Message]) -> tuple[list[Message], dict[date, list[Message]]]:
    """Thread parents, and the other top-level messages by UTC day; noise and replies
    (which their threads hold) left out."""
    threads: list[Message] = []
    days: dict[date, list[Message]] = defaultdict(list)
    for message in history:
        if is_noise(message) or is_reply(message):
            continue
        if is_thread_parent(message):
            threads.append(message)
        elif message.get("subtype") != "tombstone":
            days[ts_day(str(message["ts"]))].append(message)
    return threads, dict(days)


def _gone_in_window(
    channel_id: str,
    history: Sequence[Message],
    days: dict[date, list[Message]],
    oldest: float,
    since: float,
) -> list[str]:
    """Documents that the re-read window shows are gone: days up to the cursor's left
    without messages, and threads whose parent lost all its replies."""
    first = datetime.fromtimestamp(oldest, UTC).date()
    last = max([ts_day(str(m["ts"])) for m in history] + [ts_day(_ts(since))])
    gone = []
    day = first
    while day <= last:
        if day not in days:
            gone.append(slack_day_id(channel_id, day))
        day += timedelta(days=1)
    for message in history:
        if message.get("thread_ts") == message.get("ts") and not is_thread_parent(message):
            gone.append(slack_thread_id(channel_id, str(message["ts"])))
    return gone


def _scopes(headers: Any) -> set[str] | None:
    """The token's granted scopes from `X-OAuth-Scopes`; None when Slack does not say."""
    for key, value in dict(headers).items():
        if key.lower() == "x-oauth-scopes":
            text = value[0] if isinstance(value, list) else value
            return {scope.strip() for scope in str(text).split(",") if scope.strip()}
    return None
