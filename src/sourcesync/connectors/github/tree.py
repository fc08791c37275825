"""The files of a commit, from the Git Trees API, however large the repository.

One ``recursive=1`` request lists a whole tree unless GitHub cuts the answer
(``truncated: true``, past 100,000 entries or 7 MB). A cut tree is then listed one level
at a time without ``recursive``, and each of its sub-trees is tried recursively again, so
only the oversized parts of a repository cost one request per folder.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import SourceConfigError
from .client import GitHubClient

_SYMLINK_MODE = "120000"


@dataclass(frozen=True, slots=True)
class TreeFile:
    """A regular file of a tree: its path from the repository root, blob sha and size."""

    path: str
    sha: str
    size: int


def list_files(client: GitHubClient, commit: str) -> list[TreeFile]:
    """Every regular file at ``commit`` (symlinks and submodules are left out)."""
    return _walk(client, commit, descend=lambda _folder: True)


def files_at(client: GitHubClient, commit: str, paths: Iterable[str]) -> dict[str, TreeFile]:
    """The files among ``paths`` that exist at ``commit``, by path.

    When the tree is cut, only the folders leading to ``paths`` are walked.
    """
    wanted = set(paths)
    folders = {path.rsplit("/", 1)[0] for path in wanted if "/" in path}
    ancestors = {
        "/".join(parts[:depth])
        for parts in (folder.split("/") for folder in folders)
        for depth in range(1, len(parts) + 1)
    }
    files = _walk(client, commit, descend=ancestors.__contains__)
    return {file.path: file for file in files if file.path in wanted}


def _walk(client: GitHubClient, root: str, descend: Callable[[str], bool]) -> list[TreeFile]:
    files: list[TreeFile] = []
    pending: deque[tuple[str, str]] = deque([(root, "")])
    while pending:
        sha, prefix = pending.popleft()
        listing = _get_tree(client, sha, recursive=True)
        if not listing.get("truncated"):
            files.extend(_files(listing, prefix))
            continue
        level = _get_tree(client, sha, recursive=False)
        if level.get("truncated"):
            raise SourceConfigError(
                f"the folder {prefix or '/'} of {client.full_name} holds more entries than "
                "GitHub's Git Trees API lists; exclude it or sync the repository as a git source"
            )
        files.extend(_files(level, prefix))
        for entry in level["tree"]:
            folder = prefix + entry["path"]
            if entry["type"] == "tree" and descend(folder):
                pending.append((entry["sha"], folder + "/"))
    return files


def _get_tree(client: GitHubClient, sha: str, *, recursive: bool) -> dict[str, Any]:
    listing: dict[str, Any] = client.repo_json(
        f"/git/trees/{sha}",
        params={"recursive": "1"} if recursive else None,
        what=f"the tree {sha[:12]} of {client.full_name}",
    )
    return listing


def _files(listing: dict[str, Any], prefix: str) -> list[TreeFile]:
    return [
        TreeFile(prefix + entry["path"], entry["sha"], int(entry["size"]))
        for entry in listing["tree"]
        if entry["type"] == "blob" and entry["mode"] != _SYMLINK_MODE
    ]
