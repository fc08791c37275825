"""Constants and settings of the Slack connector."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType

__all__ = [
    "DEFAULT_TOKEN_ENV",
    "NOISE_SUBTYPES",
    "PRIVATE_SCOPES",
    "PUBLIC_SCOPES",
    "SLACK_API_URL",
    "TIER_OF_METHOD",
    "TIER_PER_MINUTE",
    "SlackSettings",
]

SLACK_API_URL = "https://slack.com/api/"
DEFAULT_TOKEN_ENV = "SLACK_BOT_TOKEN"

PUBLIC_SCOPES = ("channels:read", "channels:history", "users:read")
"""What a bot token needs to read public channels and resolve authors."""
PRIVATE_SCOPES = ("groups:read", "groups:history")
"""What it needs more for the private channels it is a member of."""

# Slack's published tiers, in requests per minute per method and workspace
# (https://docs.slack.dev/apis/web-api/rate-limits). Tier 1 is `1+`, tier 4 `100+`.
TIER_PER_MINUTE: Mapping[int, float] = MappingProxyType({1: 1, 2: 20, 3: 50, 4: 100})
TIER_OF_METHOD: Mapping[str, int] = MappingProxyType(
    {
        "auth.test": 4,
        "conversations.list": 2,
        "conversations.info": 3,
        "conversations.history": 3,
        "conversations.replies": 3,
        "conversations.members": 4,
        "users.list": 2,
        "users.info": 4,
        "team.info": 3,
    }
)

NOISE_SUBTYPES = frozenset(
    {
        "channel_join",
        "channel_leave",
        "group_join",
        "group_leave",
        "channel_topic",
        "channel_purpose",
        "channel_name",
        "group_topic",
        "group_purpose",
        "group_name",
        "channel_archive",
        "channel_unarchive",
        "group_archive",
        "group_unarchive",
        "channel_convert_to_private",
        "channel_convert_to_public",
        "pinned_item",
        "unpinned_item",
        "bot_add",
        "bot_remove",
        "bot_enable",
        "bot_disable",
        "reminder_add",
        "reminder_delete",
        "joiner_notification",
        "joiner_notification_for_inviter",
        "sh_room_created",
        "huddle_thread",
        "channel_posting_permissions",
        "ekm_access_denied",
    }
)
"""Message subtypes that say nothing a reader searches for (joins, leaves, topic changes)."""


@dataclass(frozen=True)
class SlackSettings:
    """How to reach Slack, how fast, and how far back an incremental sync looks.

    `lookback` is the span of each channel's history an incremental sync re-reads before
    its cursor: Slack's history lists messages by the time they were *posted*, so edits,
    deletions and new replies to older messages only show when their day (or their
    thread's parent) is read again. Every channel-day inside it is rebuilt (the core skips
    unchanged content by hash), and every thread whose parent lies inside it and that saw
    activity since `cursor - edit_window` is fetched again. `overlap` covers messages that
    Slack reports late.
    """

    api_url: str = SLACK_API_URL
    token_env: str = DEFAULT_TOKEN_ENV
    page_size: int = 200
    batch_size: int = 50
    lookback: timedelta = timedelta(days=7)
    edit_window: timedelta = timedelta(days=1)
    overlap: timedelta = timedelta(minutes=5)
    timeout_s: int = 30
    per_minute: Mapping[int, float] = field(default_factory=lambda: dict(TIER_PER_MINUTE))
    """Requests per minute by tier, shared by every client of one token in the process."""
    rate_limit_retries: int = 30
    """429s retried per request (each after its Retry-After) before the batch gives up."""
    server_error_retries: int = 4
    user_list_pages: int = 25
    """Pages of `users.list` read per sync (5,000 users); authors past them are looked up
    one by one."""

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= 999:
            raise ValueError(f"page_size must be between 1 and 999, got {self.page_size}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {self.batch_size}")
        for name in ("lookback", "edit_window", "overlap"):
            if getattr(self, name) < timedelta(0):
                raise ValueError(f"{name} must not be negative")
