"""A GitHub file at a commit as a ``Document``."""

from __future__ import annotations

from urllib.parse import quote

from sourcesync.documents import (
    CODE_REF_KEY,
    CodeRole,
    Document,
    code_ref,
    language_for_path,
    path_part,
    readable_id,
)

from ..file_source import FileRef
from .settings import DEFAULT_WEB_URL


def github_file_id(owner: str, repo: str, path: str) -> str:
    """`github:file:{owner}/{repo}:{path}`."""
    return readable_id("github", "file", f"{owner}/{repo}", path_part(path))


def github_document(
    *,
    workspace_id: str,
    source_id: str,
    owner: str,
    repo: str,
    branch: str | None,
    commit: str,
    ref: FileRef,
    text: str,
    web_url: str = DEFAULT_WEB_URL,
) -> Document:
    """The document of one file; its URL is the file's page at ``commit`` on ``web_url``."""
    return Document(
        id=github_file_id(owner, repo, ref.path),
        workspace_id=workspace_id,
        source_id=source_id,
        source_type="github",
        title=ref.path,
        url=f"{web_url.rstrip('/')}/{owner}/{repo}/blob/{commit}/{quote(ref.path)}",
        path=ref.path,
        content=text,
        metadata={
            "repo": f"{owner}/{repo}",
            "branch": branch,
            "path": ref.path,
            "commit": commit,
            "blob_sha": ref.blob,
            "language": language_for_path(ref.path),
            "size": ref.size,
            CODE_REF_KEY: code_ref(f"{owner}/{repo}", commit, CodeRole.FILES),
        },
    )
