"""A git file at a commit as a ``Document``."""

from __future__ import annotations

from pathlib import Path

from sourcesync.documents import Document, SourceType, git_file_id, language_for_path

from .repository import GitFile


def git_document(
    *,
    workspace_id: str,
    source_id: str,
    repo_name: str,
    repo_path: Path,
    branch: str | None,
    commit: str,
    file: GitFile,
    text: str,
) -> Document:
    """Build the document of one file; its URL points at the file on disk."""
    return Document(
        id=git_file_id(repo_name, file.path),
        workspace_id=workspace_id,
        source_id=source_id,
        source_type=SourceType.GIT,
        title=file.path,
        url=(repo_path / file.path).resolve().as_uri(),
        path=file.path,
        content=text,
        metadata={
            "repo": repo_name,
            "branch": branch,
            "path": file.path,
            "commit": commit,
            "blob_sha": file.blob_sha,
            "language": language_for_path(file.path),
            "size": file.size,
        },
    )
