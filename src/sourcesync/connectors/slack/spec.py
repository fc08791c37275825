"""The Slack source as the core sees it: configuration, opening, Events API webhooks."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import field_validator

from ..spec import SourceConfig, SourceContext, SourceSpec, option
from ..webhooks import SourceChange, WebhookHandler, WebhookReply, WebhookRequest
from .cursor import SlackCursor
from .settings import DEFAULT_TOKEN_ENV, SLACK_API_URL, SlackSettings
from .webhooks import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SlackEvent,
    check_timestamp,
    read_delivery,
    verify_signature,
)

if TYPE_CHECKING:
    from .source import SlackSource

__all__ = ["SlackConfig", "SlackWebhooks", "open_slack", "spec"]


class SlackConfig(SourceConfig):
    channels: list[str] = option(
        "Channel to sync, by name (default: every channel the bot is in).",
        flag="--channel",
        default_factory=list,
    )
    private: bool = option(
        "Include the private channels the bot is a member of (scopes groups:read, groups:history).",
        default=True,
    )
    token_env: str = option(
        "NAME of the env var holding the bot token (xoxb-...).", default=DEFAULT_TOKEN_ENV
    )
    signing_secret_env: str | None = option(
        "NAME of the env var holding the app's signing secret (Events API webhooks).",
        default=None,
    )
    lookback_days: int = option(
        "Days of history before the cursor each incremental sync re-reads for edits, "
        "deletions and new replies.",
        default=7,
        ge=0,
        le=90,
    )

    @field_validator("channels")
    @classmethod
    def _without_hash(cls, channels: list[str]) -> list[str]:
        names = [name.strip().lstrip("#") for name in channels]
        if not all(names):
            raise ValueError("a channel name is empty")
        return names


def open_slack(config: SlackConfig, context: SourceContext) -> SlackSource:
    from .source import SlackSource  # its client loads when a source opens

    settings = SlackSettings(
        api_url=context.urls["api_url"],
        token_env=config.token_env,
        lookback=timedelta(days=config.lookback_days),
    )
    return SlackSource(
        workspace_id=context.workspace_id,
        source_id=context.source_id,
        settings=settings,
        channels=config.channels,
        private=config.private,
    )


class SlackWebhooks(WebhookHandler[SlackConfig, SlackEvent]):
    """Events API requests at ``POST /webhooks/slack``: signature v0, five-minute window."""

    def secret(self, config: SlackConfig) -> str | None:
        name = config.signing_secret_env
        return os.environ.get(name) or None if name else None

    def verify(self, request: WebhookRequest, secret: str) -> bool:
        return verify_signature(
            request.body,
            request.header(TIMESTAMP_HEADER),
            request.header(SIGNATURE_HEADER),
            secret,
        )

    def parse(self, request: WebhookRequest) -> SlackEvent | WebhookReply:
        # The timestamp is a header: a replayed request is refused before its body is read.
        check_timestamp(request.header(TIMESTAMP_HEADER))
        return read_delivery(request.body)

    def change_for(self, delivery: SlackEvent, config: SlackConfig) -> SourceChange | None:
        return SourceChange(
            delivery_id=f"slack:{delivery.event_id}", removed_ids=delivery.removed_ids
        )


spec = SourceSpec(
    type="slack",
    description="A Slack workspace: threads and channel-days with authors (Events API).",
    config=SlackConfig,
    cursor=SlackCursor,
    location=lambda config: ",".join("#" + c for c in config.channels) or "all channels",
    default_name=lambda config: "slack",
    open_documents=open_slack,
    urls={"api_url": SLACK_API_URL},
    webhooks=SlackWebhooks(),
)
