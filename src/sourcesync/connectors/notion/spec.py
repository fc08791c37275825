"""The Notion source as the core sees it: configuration, opening, webhooks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..spec import SourceConfig, SourceContext, SourceSpec, option
from ..webhooks import SourceChange, WebhookHandler, WebhookReply, WebhookRequest
from .cursor import NotionCursor
from .settings import DEFAULT_TOKEN_ENV, NOTION_API_URL, NotionSettings
from .webhooks import (
    SIGNATURE_HEADER,
    SYNCED_EVENTS,
    NotionWebhookEvent,
    is_verification,
    read_event,
    signature_matches,
)

if TYPE_CHECKING:
    from .source import NotionSource

__all__ = ["NotionConfig", "NotionWebhooks", "open_notion", "spec"]


class NotionConfig(SourceConfig):
    roots: list[str] = option(
        "Page or database id (or URL) to sync with everything under it (default: all the "
        "integration can see).",
        flag="--root",
        default_factory=list,
    )
    token_env: str = option(
        "NAME of the env var holding the internal integration secret.", default=DEFAULT_TOKEN_ENV
    )
    webhook_secret_env: str | None = option(
        "NAME of the env var holding the webhook subscription's verification_token.",
        default=None,
    )


def open_notion(config: NotionConfig, context: SourceContext) -> NotionSource:
    from .source import NotionSource  # its client loads when a source opens

    return NotionSource(
        workspace_id=context.workspace_id,
        source_id=context.source_id,
        settings=NotionSettings(api_url=context.urls["api_url"], token_env=config.token_env),
        roots=config.roots,
    )


class NotionWebhooks(WebhookHandler[NotionConfig, NotionWebhookEvent]):
    """``X-Notion-Signature`` deliveries, after the ``verification_token`` handshake."""

    def handshake(self, request: WebhookRequest) -> WebhookReply | None:
        if request.header(SIGNATURE_HEADER) is None and is_verification(request.body):
            # The token is a secret from now on: it is neither stored nor echoed.
            return WebhookReply(
                200,
                {
                    "received": "verification_token",
                    "next": "paste the token into Notion to verify the subscription, and set "
                    "the variable your source's --webhook-secret-env names to it",
                },
            )
        return None

    def verify(self, request: WebhookRequest, secret: str) -> bool:
        return signature_matches(request.body, request.header(SIGNATURE_HEADER), secret)

    def parse(self, request: WebhookRequest) -> NotionWebhookEvent | WebhookReply:
        event = read_event(request.body)
        if event.type not in SYNCED_EVENTS:
            return WebhookReply(202, {"ignored": event.type})
        return event

    def change_for(self, delivery: NotionWebhookEvent, config: NotionConfig) -> SourceChange:
        return SourceChange(
            delivery_id=f"notion:{delivery.id}",
            removed_ids=delivery.removed_ids,
            sync=delivery.type not in ("page.deleted",),
        )


spec = SourceSpec(
    type="notion",
    description="A Notion workspace: pages, database rows and data sources (webhooks).",
    config=NotionConfig,
    cursor=NotionCursor,
    location=lambda config: ",".join(config.roots) or "whole workspace",
    default_name=lambda config: "notion",
    open_documents=open_notion,
    urls={"api_url": NOTION_API_URL},
    webhooks=NotionWebhooks(),
)
