"""What changed between two commits, from the Compare API (``base...head``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .client import GitHubClient
from .errors import GitHubNotFoundError
from .settings import COMPARE_FILES_CAP

CompareStatus = Literal["ahead", "behind", "diverged", "identical"]


@dataclass(frozen=True)
class Comparison:
    """Changed and removed paths from ``base`` to ``head`` (a rename is both).

    ``status`` is ``ahead`` when ``base`` is in ``head``'s history; the file lists are from
    the merge base otherwise. ``complete`` is False when the list reached GitHub's cap,
    which means it may have been cut.
    """

    status: CompareStatus
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    complete: bool

    @property
    def base_is_ancestor(self) -> bool:
        return self.status in ("ahead", "identical")


def compare_commits(
    client: GitHubClient, base: str, head: str, *, files_cap: int = COMPARE_FILES_CAP
) -> Comparison | None:
    """Compare two commits; None when GitHub does not know ``base`` (or no common history).

    ``files_cap`` is the most files the server lists (GitHub's 300).
    """
    try:
        body = client.repo_json(
            f"/compare/{base}...{head}",
            what=f"the changes {base[:12]}...{head[:12]} of {client.full_name}",
        )
    except GitHubNotFoundError:
        return None
    changed: list[str] = []
    removed: list[str] = []
    files = body.get("files") or []
    for file in files:
        status, path = file["status"], file["filename"]
        if status == "removed":
            removed.append(path)
        elif status == "renamed":
            removed.append(file["previous_filename"])
            changed.append(path)
        elif status != "unchanged":
            changed.append(path)
    return Comparison(
        status=body["status"],
        changed=tuple(changed),
        removed=tuple(removed),
        complete=len(files) < files_cap,
    )
