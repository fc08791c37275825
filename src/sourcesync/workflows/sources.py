"""Opening a source row as the connector that reads it."""

from __future__ import annotations

from typing import Any

from sourcesync.connectors.file_filters import FileFilter
from sourcesync.connectors.file_source import FileSource
from sourcesync.connectors.git import GitFileSource
from sourcesync.db import Source
from sourcesync.settings import Settings

FILE_SOURCE_TYPES = frozenset({"git"})


class UnsupportedSourceError(Exception):
    """The source's type has no workflow yet."""


def _filter(config: dict[str, Any]) -> FileFilter:
    return FileFilter(
        include=tuple(config.get("include", ())), exclude=tuple(config.get("exclude", ()))
    )


def open_file_source(source: Source, settings: Settings) -> FileSource:
    """The file connector of a git (or other repository-like) source."""
    config = dict(source.config or {})
    if source.type == "git":
        return GitFileSource(
            path=config["path"],
            name=source.name,
            branch=config.get("branch"),
            file_filter=_filter(config),
        )
    raise UnsupportedSourceError(f"{source.type} sources have no file connector yet")
