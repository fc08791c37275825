"""The git source as the core sees it: a repository on disk, from any host."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import field_validator

from ..cursors import CommitCursor
from ..file_filters import FileFilter
from ..spec import SourceConfig, SourceContext, SourceSpec, argument, option

if TYPE_CHECKING:
    from .source import GitFileSource


class GitConfig(SourceConfig):
    path: str = argument("A git repository on disk.")
    branch: str | None = option("Branch to sync (default: HEAD).", default=None)
    include: list[str] = option("Glob of paths to index.", default_factory=list)
    exclude: list[str] = option("Glob of paths to skip.", default_factory=list)

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        """Stored absolute, so syncs started from any directory read the same repository."""
        return str(Path(value).expanduser().resolve())


def open_git(config: GitConfig, context: SourceContext) -> GitFileSource:
    from .source import GitFileSource  # its client loads when a source opens

    return GitFileSource(
        path=config.path,
        name=context.name,
        branch=config.branch,
        file_filter=FileFilter(include=tuple(config.include), exclude=tuple(config.exclude)),
        workspace_id=context.workspace_id,
        source_id=context.source_id,
    )


spec = SourceSpec(
    type="git",
    description="A git repository on disk (any host; branches, incremental by commit).",
    config=GitConfig,
    cursor=CommitCursor,
    location=lambda config: config.path + (f"@{config.branch}" if config.branch else ""),
    default_name=lambda config: Path(config.path).name,
    open_files=open_git,
)
