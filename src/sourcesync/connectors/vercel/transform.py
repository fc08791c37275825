"""Vercel deployments, build logs and projects as `Document`s: Markdown for people and
embeddings, facts in metadata for code."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import JsonValue

from sourcesync.documents import CODE_REF_KEY, CodeRole, Document, code_ref

from .ids import vercel_build_log_id, vercel_deployment_id, vercel_project_id
from .models import Deployment, EnvVar, GitCommit, Project
from .stats import TargetStats

__all__ = ["build_log_document", "deployment_document", "project_document"]

SOURCE_TYPE = "vercel"
_STATE_WORDS = {
    "READY": "succeeded",
    "ERROR": "failed",
    "CANCELED": "was canceled",
    "BUILDING": "is building",
    "QUEUED": "is queued",
    "INITIALIZING": "is starting",
}


def deployment_document(
    deployment: Deployment,
    project: Project,
    error_lines: Sequence[str],
    *,
    workspace_id: str,
    source_id: str,
) -> Document:
    """One document per deployment: where it went, its state and timings, the commit it was
    built from, and for a failed build the log's error lines."""
    git = deployment.git
    outcome = _STATE_WORDS.get(deployment.state, deployment.state.lower())
    title = (
        f"{project.name} {deployment.environment} deployment {outcome} "
        f"on {_day(deployment.created)}"
    )
    facts = [
        ("Project", project.name),
        ("Target", deployment.environment),
        ("State", deployment.state),
        ("URL", _https(deployment.url)),
        ("Creator", deployment.creator.display if deployment.creator else None),
        ("Created", _when(deployment.created)),
        ("Building", _when(deployment.building_at)),
        ("Ready", _when(deployment.ready)),
        ("Build duration", _duration(deployment.build_ms)),
        ("Built from", _built_from(git)),
        ("Commit message", git.message.strip().splitlines()[0] if git and git.message else None),
        ("Pull request", f"#{git.pr}" if git and git.pr else None),
        ("Commit", git.web_url if git else None),
        ("Error", _error(deployment)),
        ("Inspect", deployment.inspector_url),
    ]
    sections = [f"# {title}", _fact_list(facts)]
    if error_lines:
        sections.append("## Build errors\n\n```\n" + "\n".join(error_lines) + "\n```")
    metadata: dict[str, JsonValue] = {
        "kind": "deployment",
        "deployment_id": deployment.uid,
        "project": {"id": project.id, "name": project.name},
        "target": deployment.environment,
        "state": deployment.state,
        "url": _https(deployment.url),
        "creator": deployment.creator.display if deployment.creator else None,
        "created": deployment.created,
        "building_at": deployment.building_at,
        "ready": deployment.ready,
        "build_ms": deployment.build_ms,
        "git": _git_metadata(git),
        "error_lines": list(error_lines),
        CODE_REF_KEY: _build_ref(git),
    }
    return Document(
        id=vercel_deployment_id(deployment.uid),
        workspace_id=workspace_id,
        source_id=source_id,
        source_type=SOURCE_TYPE,
        title=title,
        url=deployment.inspector_url or _https(deployment.url),
        content="\n\n".join(sections) + "\n",
        metadata=metadata,
    )


def build_log_document(
    deployment: Deployment,
    project: Project,
    excerpt: str,
    *,
    line_count: int,
    warning_count: int,
    workspace_id: str,
    source_id: str,
) -> Document:
    """The (redacted, trimmed) build log of one deployment."""
    git = deployment.git
    title = f"Build log of {project.name} {deployment.environment} deployment ({deployment.state})"
    facts = [
        ("Deployment", deployment.uid),
        ("State", deployment.state),
        ("Created", _when(deployment.created)),
        ("Build duration", _duration(deployment.build_ms)),
        ("Built from", _built_from(git)),
        ("Lines", str(line_count)),
        ("Warnings", str(warning_count)),
    ]
    content = f"# {title}\n\n{_fact_list(facts)}\n\n```\n{excerpt}\n```\n"
    return Document(
        id=vercel_build_log_id(deployment.uid),
        workspace_id=workspace_id,
        source_id=source_id,
        source_type=SOURCE_TYPE,
        title=title,
        url=deployment.inspector_url,
        content=content,
        metadata={
            "kind": "build_log",
            "deployment_id": deployment.uid,
            "deployment": vercel_deployment_id(deployment.uid),
            "project": {"id": project.id, "name": project.name},
            "target": deployment.environment,
            "state": deployment.state,
            "lines": line_count,
            "warnings": warning_count,
            "git": _git_metadata(git),
        },
    )


def project_document(
    project: Project,
    env: Sequence[EnvVar],
    stats: Sequence[TargetStats],
    *,
    workspace_id: str,
    source_id: str,
) -> Document:
    """One document per project: framework, repository, domain, env var NAMES by target,
    and build performance per target."""
    repository = project.link.repository if project.link else None
    facts = [
        ("Framework", project.framework),
        ("Git repository", f"{project.link.type} {repository}" if project.link else None),
        ("Production branch", project.link.production_branch if project.link else None),
        ("Production domain", project.production_domain),
        ("Domains", ", ".join(project.domains) or None),
    ]
    sections = [f"# Vercel project {project.name}", _fact_list(facts)]
    by_name = sorted(env, key=lambda e: (e.key, e.target))
    if by_name:
        rows = "\n".join(
            f"- {e.key}: {', '.join(e.target) or 'no target'}"
            + (f" (branch {e.git_branch})" if e.git_branch else "")
            + (f" [{e.type}]" if e.type else "")
            for e in by_name
        )
        targets = sorted({t for e in env for t in e.target})
        per_target = "\n".join(
            f"- {t}: {', '.join(sorted({e.key for e in env if t in e.target}))}" for t in targets
        )
        sections.append(
            "## Environment variables (names only)\n\n"
            + rows
            + "\n\nSet per target:\n\n"
            + per_target
        )
    if stats:
        sections.append("## Build performance\n\n" + "\n\n".join(_stats_text(s) for s in stats))
    metadata: dict[str, JsonValue] = {
        "kind": "project",
        "project_id": project.id,
        "name": project.name,
        "framework": project.framework,
        "repository": repository,
        "production_domain": project.production_domain,
        "updated_at": project.updated_at,
        "env": [{"key": e.key, "target": list(e.target), "type": e.type} for e in by_name],
        "build_stats": {s.target: s.metadata() for s in stats},
    }
    return Document(
        id=vercel_project_id(project.id),
        workspace_id=workspace_id,
        source_id=source_id,
        source_type=SOURCE_TYPE,
        title=f"Vercel project {project.name}",
        url=f"https://{project.production_domain}" if project.production_domain else None,
        content="\n\n".join(sections) + "\n",
        metadata=metadata,
    )


def _stats_text(stats: TargetStats) -> str:
    lines = [f"### {stats.target}", ""]
    lines.append(
        f"- Builds: {stats.finished} (failed {stats.failed}, canceled {stats.canceled})"
        + (f", failure rate {stats.failure_rate:.1%}" if stats.failure_rate is not None else "")
    )
    if stats.p50_ms is not None and stats.p95_ms is not None:
        lines.append(
            f"- Build duration p50 {_duration(stats.p50_ms)}, p95 {_duration(stats.p95_ms)} "
            f"over {len(stats.durations_ms)} successful builds"
        )
    trend = stats.trend
    if trend is not None:
        recent, earlier = trend
        change = (recent - earlier) / earlier if earlier else 0.0
        word = "slower" if change > 0.05 else "faster" if change < -0.05 else "about the same"
        lines.append(
            f"- Trend: builds are getting {word}: median {_duration(recent)} in the newer half "
            f"vs {_duration(earlier)} in the older half ({change:+.0%})"
            if word != "about the same"
            else f"- Trend: build times are steady: median {_duration(recent)} in the newer half "
            f"vs {_duration(earlier)} in the older half ({change:+.0%})"
        )
    if stats.slowest:
        lines.append(
            "- Slowest recent builds: "
            + "; ".join(
                f"{d.uid} {_duration(d.build_ms)} on {_day(d.created)}" for d in stats.slowest
            )
        )
    return "\n".join(lines)


def _git_metadata(git: GitCommit | None) -> JsonValue:
    if git is None:
        return None
    return {
        "provider": git.provider,
        "repository": git.repository,
        "ref": git.ref,
        "sha": git.sha,
        "message": git.message,
        "pr": git.pr,
        "url": git.web_url,
        # How a GitHub source of the same repository names its documents
        # (``github:file:{owner}/{repo}:{path}``): the key a cross-source link would use.
        "github_documents_prefix": (
            f"github:file:{git.repository}:"
            if git.provider == "github" and git.repository and "/" in git.repository
            else None
        ),
    }


def _build_ref(git: GitCommit | None) -> JsonValue:
    """Links the deployment to documents of its repository at its commit, in any source."""
    if git is None or not git.repository or "/" not in git.repository:
        return None
    return code_ref(git.repository, git.sha, CodeRole.BUILD)


def _built_from(git: GitCommit | None) -> str | None:
    if git is None:
        return None
    where = git.repository or "?"
    text = f"{where}@{git.sha}" if git.sha else where
    return text + (f" (branch {git.ref})" if git.ref else "") + f" on {git.provider}"


def _error(deployment: Deployment) -> str | None:
    if not deployment.error_code and not deployment.error_message:
        return None
    return ": ".join(p for p in (deployment.error_code, deployment.error_message) if p)


def _https(url: str | None) -> str | None:
    if not url:
        return None
    return url if "://" in url else f"https://{url}"


def _moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _when(ms: int | None) -> str | None:
    return None if ms is None else _moment(ms).strftime("%A %Y-%m-%d %H:%M:%S UTC")


def _day(ms: int) -> str:
    return _moment(ms).strftime("%A %Y-%m-%d")


def _duration(ms: int | None) -> str | None:
    if ms is None:
        return None
    return f"{ms / 1000:.1f} s ({ms} ms)"


def _fact_list(facts: Sequence[tuple[str, str | None]]) -> str:
    return "\n".join(f"- {name}: {value}" for name, value in facts if value)
