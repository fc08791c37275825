"""The Vercel source as the core sees it: configuration, opening, webhooks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..spec import SourceConfig, SourceContext, SourceSpec, option
from ..webhooks import SourceChange, WebhookHandler, WebhookReply, WebhookRequest
from .cursor import VercelCursor
from .ids import vercel_build_log_id, vercel_deployment_id, vercel_project_id
from .settings import DEFAULT_KEEP, DEFAULT_TOKEN_ENV, VERCEL_API_URL, VercelSettings
from .webhooks import (
    DEPLOYMENT_EVENTS,
    PROJECT_EVENTS,
    SIGNATURE_HEADER,
    VercelDelivery,
    read_delivery,
    verify_signature,
)

if TYPE_CHECKING:
    from .source import VercelSource


class VercelConfig(SourceConfig):
    token_env: str = option(
        "NAME of the env var holding a Vercel access token.", default=DEFAULT_TOKEN_ENV
    )
    team: str | None = option(
        "Team id (team_...) or slug (default: the token's account).", default=None
    )
    projects: list[str] = option(
        "Project name or id to sync (repeatable; default: all).",
        flag="--project",
        default_factory=list,
    )
    keep: int = option(
        "Deployments kept per project; older ones leave the index.",
        default=DEFAULT_KEEP,
        ge=1,
    )
    build_logs: bool = option("Index each finished deployment's build log.", default=True)
    webhook_secret_env: str | None = option(
        "NAME of the env var holding the webhook secret.", default=None
    )


def open_vercel(config: VercelConfig, context: SourceContext) -> VercelSource:
    from .source import VercelSource  # its client loads when a source opens

    settings = VercelSettings(
        api_url=context.urls["api_url"], token_env=config.token_env, team=config.team
    )
    return VercelSource(
        workspace_id=context.workspace_id,
        source_id=context.source_id,
        settings=settings,
        projects=config.projects,
        keep=config.keep,
        build_logs=config.build_logs,
    )


class VercelWebhooks(WebhookHandler[VercelConfig, VercelDelivery]):
    """``x-vercel-signature`` deliveries about deployments and projects."""

    def verify(self, request: WebhookRequest, secret: str) -> bool:
        return verify_signature(request.body, request.header(SIGNATURE_HEADER), secret)

    def parse(self, request: WebhookRequest) -> VercelDelivery | WebhookReply:
        delivery = read_delivery(request.body)
        if delivery.type not in DEPLOYMENT_EVENTS | PROJECT_EVENTS:
            return WebhookReply(202, {"ignored": delivery.type})
        return delivery

    def change_for(self, delivery: VercelDelivery, config: VercelConfig) -> SourceChange | None:
        team = config.team
        if team and team.startswith("team_") and delivery.team_id and delivery.team_id != team:
            return None
        ids = [p for p in config.projects if p.startswith("prj_")]
        # Projects given by name are matched at sync time: a delivery about another project
        # then costs one cheap incremental sync.
        named_by_id = bool(ids) and len(ids) == len(config.projects)
        if delivery.project_id and named_by_id and delivery.project_id not in ids:
            return None
        removed: tuple[str, ...] = ()
        if delivery.type == "project.removed" and delivery.project_id:
            removed = (vercel_project_id(delivery.project_id),)
        elif delivery.type == "deployment.deleted" and delivery.deployment_id:
            removed = (
                vercel_deployment_id(delivery.deployment_id),
                vercel_build_log_id(delivery.deployment_id),
            )
        return SourceChange(delivery_id=f"vercel:{delivery.id}", removed_ids=removed)


spec = SourceSpec(
    type="vercel",
    description="A Vercel account or team: deployments, build logs, projects (webhooks).",
    config=VercelConfig,
    cursor=VercelCursor,
    location=lambda config: (
        (config.team or "personal account")
        + (f": {', '.join(config.projects)}" if config.projects else "")
    ),
    default_name=lambda config: "vercel",
    open_documents=open_vercel,
    urls={"api_url": VERCEL_API_URL},
    webhooks=VercelWebhooks(),
)
