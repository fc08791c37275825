"""Builders for the stable, readable document ids of DESIGN section 5.

An id names a document across syncs, so re-processing a document replaces its rows and
vectors instead of duplicating them. Every part must be non-empty; file paths are kept as
given except for leading slashes, which differ between APIs (`/src/a.py` vs `src/a.py`).
"""

__all__ = [
    "chunk_id",
    "git_file_id",
    "github_file_id",
    "linear_comment_id",
    "linear_issue_id",
    "linear_project_id",
    "notion_page_id",
    "slack_thread_id",
    "vercel_deployment_id",
]


def _part(name: str, value: str) -> str:
    if not value or value.strip() != value:
        raise ValueError(f"{name} must be non-empty without surrounding whitespace: {value!r}")
    return value


def _path(path: str) -> str:
    return _part("path", path.lstrip("/"))


def github_file_id(owner: str, repo: str, path: str) -> str:
    """`github:file:{owner}/{repo}:{path}`."""
    return f"github:file:{_part('owner', owner)}/{_part('repo', repo)}:{_path(path)}"


def git_file_id(repo_name: str, path: str) -> str:
    """`git:file:{repo-name}:{path}` for a file of a plain git repository."""
    return f"git:file:{_part('repo_name', repo_name)}:{_path(path)}"


def linear_issue_id(issue_id: str) -> str:
    """`linear:issue:{id}`."""
    return f"linear:issue:{_part('issue_id', issue_id)}"


def linear_project_id(project_id: str) -> str:
    """`linear:project:{id}`."""
    return f"linear:project:{_part('project_id', project_id)}"


def linear_comment_id(comment_id: str) -> str:
    """`linear:comment:{id}`."""
    return f"linear:comment:{_part('comment_id', comment_id)}"


def vercel_deployment_id(deployment_id: str) -> str:
    """`vercel:deployment:{id}`."""
    return f"vercel:deployment:{_part('deployment_id', deployment_id)}"


def notion_page_id(page_id: str) -> str:
    """`notion:page:{id}`."""
    return f"notion:page:{_part('page_id', page_id)}"


def slack_thread_id(channel: str, ts: str) -> str:
    """`slack:thread:{channel}:{ts}`, where `ts` is the thread's parent message timestamp."""
    return f"slack:thread:{_part('channel', channel)}:{_part('ts', ts)}"


def chunk_id(document_id: str, n: int) -> str:
    """`{document_id}#{n}`: the id of the `n`-th chunk (from 0) of a document."""
    if n < 0:
        raise ValueError(f"chunk index must be >= 0, got {n}")
    return f"{_part('document_id', document_id)}#{n}"
