"""Opening a source row as the connector that reads it, and checking it can be read."""

from __future__ import annotations

import contextlib
import functools
from typing import Any

from sourcesync.connectors.file_filters import FileFilter
from sourcesync.connectors.file_source import FileSource
from sourcesync.connectors.git import GitFileSource
from sourcesync.connectors.github import GitHubApp, GitHubClient, GitHubFileSource, PersonalToken
from sourcesync.connectors.linear import LinearSettings, LinearSource
from sourcesync.db import Source
from sourcesync.settings import Settings

FILE_SOURCE_TYPES = frozenset({"git", "github"})


class UnsupportedSourceError(Exception):
    """The source's type has no connector for this use."""


def _filter(config: dict[str, Any]) -> FileFilter:
    return FileFilter(
        include=tuple(config.get("include", ())), exclude=tuple(config.get("exclude", ()))
    )


def _github_auth(config: dict[str, Any], api_url: str) -> GitHubApp | PersonalToken | None:
    if config.get("app_id"):
        return _github_app(
            str(config["app_id"]),
            config.get("private_key_env"),
            config.get("private_key_file"),
            config.get("installation_id"),
            api_url,
        )
    if config.get("token_env"):
        return PersonalToken(config["token_env"])
    return None


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


def open_file_source(source: Source, settings: Settings) -> FileSource:
    """The file connector of a git or GitHub source (close it when done)."""
    config = dict(source.config or {})
    if source.type == "git":
        return GitFileSource(
            path=config["path"],
            name=source.name,
            branch=config.get("branch"),
            file_filter=_filter(config),
        )
    if source.type == "github":
        client = GitHubClient(
            config["repository"],
            auth=_github_auth(config, settings.github_api_url),
            api_url=settings.github_api_url,
            raw_url=settings.github_raw_url,
        )
        return GitHubFileSource(
            client=client, branch=config.get("branch"), file_filter=_filter(config)
        )
    raise UnsupportedSourceError(f"{source.type} sources have no file connector")


def open_linear_source(source: Source, settings: Settings) -> LinearSource:
    config = dict(source.config or {})
    linear_settings = LinearSettings(
        api_url=settings.linear_api_url,
        token_env=config.get("token_env", "LINEAR_API_KEY"),
        token_kind=config.get("token_kind", "api_key"),
    )
    return LinearSource(
        workspace_id=source.workspace_id, source_id=source.id, settings=linear_settings
    )


def validate_source(source: Source, settings: Settings) -> str:
    """Check the source can be read (path, token, repository, teams); say what was found."""
    if source.type in FILE_SOURCE_TYPES:
        connector = open_file_source(source, settings)
        with contextlib.closing(connector):
            return connector.validate()
    if source.type == "linear":
        with open_linear_source(source, settings) as linear:
            return linear.validate(source.config.get("teams") or None)
    raise UnsupportedSourceError(f"{source.type} sources cannot be synced yet")
