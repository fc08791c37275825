"""The Linear source as the core sees it: configuration, opening, webhooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import model_validator

from ..cursors import UpdatedAtCursor
from ..spec import SourceConfig, SourceContext, SourceSpec, option
from ..webhooks import SourceChange, WebhookHandler, WebhookReply, WebhookRequest
from .errors import WebhookRejectedError
from .settings import DEFAULT_TOKEN_ENV, LINEAR_API_URL, LinearSettings
from .webhooks import SIGNATURE_HEADER, LinearWebhookEvent, read_webhook, verify_signature

if TYPE_CHECKING:
    from .source import LinearSource

_SYNCED_TYPES = frozenset({"Issue", "Comment", "Project"})
"""Deliveries about anything else (labels, cycles, reactions) change no document."""


class LinearConfig(SourceConfig):
    teams: list[str] = option(
        "Team key to sync (default: all).", flag="--team", default_factory=list
    )
    token_env: str = option(
        "NAME of the env var holding the API key or OAuth token.", default=DEFAULT_TOKEN_ENV
    )
    oauth: bool = option("The variable holds an OAuth token.", default=False)
    webhook_secret_env: str | None = option(
        "NAME of the env var holding the webhook secret.", default=None
    )

    @model_validator(mode="before")
    @classmethod
    def _stored_token_kind(cls, data: Any) -> Any:
        """Rows written before this model said ``token_kind: oauth|api_key``."""
        if isinstance(data, dict) and "token_kind" in data:
            data = dict(data)
            data["oauth"] = data.pop("token_kind") == "oauth"
        return data


def open_linear(config: LinearConfig, context: SourceContext) -> LinearSource:
    from .source import LinearSource  # its client loads when a source opens

    settings = LinearSettings(
        api_url=context.urls["api_url"],
        token_env=config.token_env,
        token_kind="oauth" if config.oauth else "api_key",
    )
    return LinearSource(
        workspace_id=context.workspace_id,
        source_id=context.source_id,
        settings=settings,
        teams=config.teams,
    )


class LinearWebhooks(WebhookHandler[LinearConfig, LinearWebhookEvent]):
    """``Linear-Signature`` deliveries; deliveries older than a minute are refused."""

    def verify(self, request: WebhookRequest, secret: str) -> bool:
        try:
            verify_signature(request.body, request.header(SIGNATURE_HEADER), secret)
        except WebhookRejectedError:
            return False
        return True

    def parse(self, request: WebhookRequest) -> LinearWebhookEvent | WebhookReply:
        delivery = read_webhook(request.body)
        if delivery.type not in _SYNCED_TYPES:
            return WebhookReply(202, {"ignored": delivery.type})
        return delivery

    def change_for(self, delivery: LinearWebhookEvent, config: LinearConfig) -> SourceChange | None:
        return SourceChange(
            delivery_id=f"linear:{delivery.entity_id}:{delivery.delivered_at.isoformat()}",
            removed_ids=delivery.deleted_ids,
        )


spec = SourceSpec(
    type="linear",
    description="A Linear workspace: issues and projects with comments (webhooks).",
    config=LinearConfig,
    cursor=UpdatedAtCursor,
    location=lambda config: ",".join(config.teams) or "all teams",
    default_name=lambda config: "linear",
    open_documents=open_linear,
    urls={"api_url": LINEAR_API_URL},
    webhooks=LinearWebhooks(),
)
