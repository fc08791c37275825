"""Display names of Slack users and names of channels, for authors and mentions."""

from __future__ import annotations

from typing import Any

from .client import SlackClient
from .errors import SlackAPIError

__all__ = ["SlackNames"]


class SlackNames:
    """Display names of users and names of channels, for authors and mentions.

    `users.list` (tier 2) fills the cache once per sync, up to `max_pages` pages: in a
    large organisation most users never wrote in the channels synced, so past that the
    rest are asked for one at a time (`users.info`, tier 4) when a message names them.
    """

    def __init__(self, client: SlackClient, max_pages: int) -> None:
        self.client = client
        self.max_pages = max_pages
        self.users: dict[str, str] | None = None
        self.channels: dict[str, str] = {}

    def _load(self) -> dict[str, str]:
        if self.users is None:
            self.users = {}
            for number, page in enumerate(self.client.pages("users.list", "members"), 1):
                for user in page:
                    self.users[str(user["id"])] = _display_name(user)
                if number >= self.max_pages:
                    break
        return self.users

    def user_name(self, user_id: str) -> str:
        users = self._load()
        if user_id not in users:
            try:
                data = self.client.call("users.info", user=user_id)
                users[user_id] = _display_name(data.get("user") or {"id": user_id})
            except SlackAPIError:  # an unknown user (another workspace) keeps its id
                users[user_id] = user_id
        return users[user_id]

    def channel_name(self, channel_id: str) -> str | None:
        return self.channels.get(channel_id)


def _display_name(user: dict[str, Any]) -> str:
    profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
    assert isinstance(profile, dict)
    for name in (
        profile.get("display_name"),
        profile.get("real_name"),
        user.get("real_name"),
        user.get("name"),
    ):
        if isinstance(name, str) and name.strip():
            return name.strip()
    return str(user.get("id") or "unknown")
