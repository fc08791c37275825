"""The GitHub source as the core sees it: configuration, opening, webhooks."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from pydantic import field_validator, model_validator

from ..cursors import CommitCursor
from ..file_filters import FileFilter
from ..spec import SourceConfig, SourceContext, SourceSpec, argument, option
from ..webhooks import SourceChange, WebhookHandler, WebhookRejectedError, WebhookReply
from ..webhooks import WebhookRequest as Request
from .auth import GitHubApp, PersonalToken
from .settings import DEFAULT_API_URL, DEFAULT_RAW_URL
from .webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    PushEvent,
    WebhookPayloadError,
    parse_push_event,
    verify_signature,
)

if TYPE_CHECKING:
    from .source import GitHubFileSource

_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


class GitHubConfig(SourceConfig):
    repository: str = argument("OWNER/REPO.")
    branch: str | None = option("Branch (default: the repository's default branch).", default=None)
    token_env: str | None = option("NAME of the env var holding a token.", default="GITHUB_TOKEN")
    app_id: str | None = option("Authenticate as this GitHub App.", default=None)
    private_key_file: str | None = option("The App's private key (PEM) file.", default=None)
    private_key_env: str | None = option("Or: NAME of the env var holding that key.", default=None)
    installation_id: int | None = option("The App's installation.", default=None)
    webhook_secret_env: str | None = option(
        "NAME of the env var holding the webhook secret.", default=None
    )
    include: list[str] = option("Glob of paths to index.", default_factory=list)
    exclude: list[str] = option("Glob of paths to skip.", default_factory=list)

    @field_validator("repository")
    @classmethod
    def _owner_and_name(cls, value: str) -> str:
        if not _REPOSITORY.fullmatch(value):
            raise ValueError(f"expected OWNER/REPO, got {value!r}")
        return value

    @model_validator(mode="after")
    def _app_or_token(self) -> GitHubConfig:
        """An App authenticates with its own tokens: the personal token is not used."""
        if self.app_id and self.token_env is not None:
            return self.model_copy(update={"token_env": None})
        return self


@functools.lru_cache(maxsize=64)
def _github_app(
    app_id: str,
    private_key_env: str | None,
    private_key_file: str | None,
    installation_id: int | None,
    api_url: str,
) -> GitHubApp:
    """One instance per app and GitHub host in this process, whichever batch asks.

    The instance caches its installation tokens, so they are minted once and reused by
    every batch until they near expiry, instead of once per batch. ``api_url`` only keys
    the cache: installations belong to one GitHub host.
    """
    del api_url
    return GitHubApp(
        app_id=app_id,
        private_key_env=private_key_env,
        private_key_file=private_key_file,
        installation_id=installation_id,
    )


def _auth(config: GitHubConfig, api_url: str) -> GitHubApp | PersonalToken | None:
    if config.app_id:
        return _github_app(
            config.app_id,
            config.private_key_env,
            config.private_key_file,
            config.installation_id,
            api_url,
        )
    return PersonalToken(config.token_env) if config.token_env else None


def open_github(config: GitHubConfig, context: SourceContext) -> GitHubFileSource:
    from .client import GitHubClient  # httpx loads when a source opens
    from .source import GitHubFileSource

    api_url = context.urls["api_url"]
    client = GitHubClient(
        config.repository,
        auth=_auth(config, api_url),
        api_url=api_url,
        raw_url=context.urls["raw_url"],
    )
    return GitHubFileSource(
        client=client,
        workspace_id=context.workspace_id,
        source_id=context.source_id,
        branch=config.branch,
        file_filter=FileFilter(include=tuple(config.include), exclude=tuple(config.exclude)),
    )


class GitHubWebhooks(WebhookHandler[GitHubConfig, PushEvent]):
    """Push deliveries (``X-Hub-Signature-256``); ``ping`` is answered, other kinds ignored."""

    def verify(self, request: Request, secret: str) -> bool:
        return verify_signature(secret, request.body, request.header(SIGNATURE_HEADER))

    def parse(self, request: Request) -> PushEvent | WebhookReply:
        kind = request.header(EVENT_HEADER) or ""
        if kind == "ping":
            return WebhookReply(200, {"ok": True})
        if kind != "push":
            return WebhookReply(202, {"ignored": kind or "unknown event"})
        delivery = request.header(DELIVERY_HEADER)
        if not delivery:
            raise WebhookRejectedError(f"missing {DELIVERY_HEADER} header")
        try:
            return parse_push_event(request.body, delivery)
        except WebhookPayloadError as exc:
            raise WebhookRejectedError(str(exc)) from exc

    def change_for(self, delivery: PushEvent, config: GitHubConfig) -> SourceChange | None:
        if config.repository.lower() != delivery.repository.lower() or delivery.branch is None:
            return None
        if config.branch and config.branch != delivery.branch:
            return None
        return SourceChange(
            delivery_id=f"github:{delivery.delivery_id}",
            before=delivery.before,
            after=delivery.after,
        )


spec = SourceSpec(
    type="github",
    description="A GitHub repository (token or GitHub App; push webhooks).",
    config=GitHubConfig,
    cursor=CommitCursor,
    location=lambda config: config.repository + (f"@{config.branch}" if config.branch else ""),
    default_name=lambda config: config.repository.rsplit("/", maxsplit=1)[-1],
    open_files=open_github,
    urls={"api_url": DEFAULT_API_URL, "raw_url": DEFAULT_RAW_URL},
    webhooks=GitHubWebhooks(),
)
