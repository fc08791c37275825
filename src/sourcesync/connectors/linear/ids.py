"""Names of Linear documents (``Document.id``), as in the original design."""

from __future__ import annotations

from sourcesync.documents import readable_id

__all__ = ["linear_issue_id", "linear_project_id"]


def linear_issue_id(issue_id: str) -> str:
    """`linear:issue:{id}`."""
    return readable_id("linear", "issue", issue_id)


def linear_project_id(project_id: str) -> str:
    """`linear:project:{id}`."""
    return readable_id("linear", "project", project_id)
