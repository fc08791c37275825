"""A git file at a commit as a ``Document``."""

from __future__ import annotations

from pathlib import Path

from sourcesync.documents import Document, language_for_path, path_part, readable_id

from .repository import GitFile


def git_file_id(repo_name: str, path: str) -> str:
    """`git:file:{repo-name}:{path}` for a file of a plain git repository."""
    return readable_id("git", "file", repo_name, path_part(path))


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
        source_type="git",
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
