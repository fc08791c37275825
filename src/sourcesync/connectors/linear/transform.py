"""Linear issues and projects as `Document`s: Markdown for people and embeddings,
relationships in metadata for code."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from pydantic import JsonValue

from sourcesync.documents import Document

from .ids import linear_issue_id, linear_project_id
from .models import Issue, IssueRef, IssueRelation, Project, Team, User

__all__ = ["issue_document", "project_document"]

# Relation types read from each end: `relations` hold this issue as `issue`,
# `inverseRelations` hold it as `relatedIssue`.
_OUTGOING = {"blocks": "blocks", "duplicate": "duplicate_of", "related": "related"}
_INCOMING = {"blocks": "blocked_by", "duplicate": "duplicated_by", "related": "related"}
_RELATION_KEYS = ("blocks", "blocked_by", "related", "duplicate_of", "duplicated_by", "similar")


def issue_document(issue: Issue, *, workspace_id: str, source_id: str) -> Document:
    """One document per issue: its fields, description and comments in order."""
    relations = _relations(issue.relations, issue.inverse_relations)
    comments = sorted(issue.comments, key=lambda c: (c.created_at, c.id))
    facts = [
        ("State", f"{issue.state.name} ({issue.state.type})"),
        ("Priority", issue.priority_label),
        ("Team", _team(issue.team)),
        ("Assignee", _user(issue.assignee)),
        ("Creator", _user(issue.creator)),
        ("Project", issue.project.name if issue.project else None),
        ("Cycle", issue.cycle.title if issue.cycle else None),
        ("Labels", ", ".join(label.name for label in issue.labels) or None),
        ("Estimate", _number(issue.estimate)),
        ("Due", issue.due_date.isoformat() if issue.due_date else None),
        ("Created", _timestamp(issue.created_at)),
        ("Parent", _refs([issue.parent] if issue.parent else [])),
        ("Sub-issues", _refs(issue.children)),
        *((key.replace("_", " ").capitalize(), _refs(relations[key])) for key in _RELATION_KEYS),
    ]
    sections = [f"# {issue.identifier}: {issue.title}", _fact_list(facts)]
    if issue.description and issue.description.strip():
        sections.append(f"## Description\n\n{issue.description.strip()}")
    if comments:
        rendered = [
            f"### {comment.author} on {_timestamp(comment.created_at)}"
            + (" (reply)" if comment.parent_id else "")
            + f"\n\n{comment.body.strip()}"
            for comment in comments
        ]
        sections.append("## Comments\n\n" + "\n\n".join(rendered))
    metadata: dict[str, JsonValue] = {
        "identifier": issue.identifier,
        "team": {"id": issue.team.id, "key": issue.team.key, "name": issue.team.name},
        "state": issue.state.name,
        "state_type": issue.state.type,
        "priority": int(issue.priority),
        "priority_label": issue.priority_label,
        "labels": [label.name for label in issue.labels],
        "assignee": _user_ref(issue.assignee),
        "creator": _user_ref(issue.creator),
        "project": {"id": issue.project.id, "name": issue.project.name} if issue.project else None,
        "cycle": (
            {"id": issue.cycle.id, "number": int(issue.cycle.number), "name": issue.cycle.title}
            if issue.cycle
            else None
        ),
        "parent": _ref(issue.parent) if issue.parent else None,
        "children": [_ref(child) for child in issue.children],
        **{key: [_ref(ref) for ref in relations[key]] for key in _RELATION_KEYS},
        "comment_count": len(comments),
        "created_at": _iso(issue.created_at),
        "updated_at": _iso(issue.updated_at),
    }
    return Document(
        id=linear_issue_id(issue.id),
        workspace_id=workspace_id,
        source_id=source_id,
        source_type="linear",
        title=f"{issue.identifier}: {issue.title}",
        url=issue.url,
        content="\n\n".join(sections) + "\n",
        metadata=metadata,
    )


def project_document(project: Project, *, workspace_id: str, source_id: str) -> Document:
    """One document per project: its fields, description, content and issues."""
    facts = [
        ("Status", f"{project.status.name} ({project.status.type})"),
        ("Lead", _user(project.lead)),
        ("Teams", ", ".join(_team(team) for team in project.teams) or None),
        ("Start date", _date(project.start_date)),
        ("Target date", _date(project.target_date)),
    ]
    sections = [f"# {project.name}", _fact_list(facts)]
    if project.description.strip():
        sections.append(project.description.strip())
    if project.content and project.content.strip():
        sections.append(f"## Overview\n\n{project.content.strip()}")
    if project.issues:
        lines = "\n".join(f"- {issue.identifier}: {issue.title}" for issue in project.issues)
        sections.append(f"## Issues\n\n{lines}")
    metadata: dict[str, JsonValue] = {
        "status": project.status.name,
        "status_type": project.status.type,
        "lead": _user_ref(project.lead),
        "teams": [{"id": team.id, "key": team.key, "name": team.name} for team in project.teams],
        "start_date": _date(project.start_date),
        "target_date": _date(project.target_date),
        "issues": [_ref(issue) for issue in project.issues],
        "created_at": _iso(project.created_at),
        "updated_at": _iso(project.updated_at),
    }
    return Document(
        id=linear_project_id(project.id),
        workspace_id=workspace_id,
        source_id=source_id,
        source_type="linear",
        title=project.name,
        url=project.url,
        content="\n\n".join(sections) + "\n",
        metadata=metadata,
    )


def _relations(
    outgoing: Iterable[IssueRelation], incoming: Iterable[IssueRelation]
) -> dict[str, list[IssueRef]]:
    grouped: dict[str, list[IssueRef]] = {key: [] for key in _RELATION_KEYS}
    for relation in outgoing:
        key = _OUTGOING.get(relation.type, relation.type)
        grouped.setdefault(key, []).append(relation.related_issue)
    for relation in incoming:
        key = _INCOMING.get(relation.type, relation.type)
        grouped.setdefault(key, []).append(relation.issue)
    return {key: _unique(refs) for key, refs in grouped.items()}


def _unique(refs: list[IssueRef]) -> list[IssueRef]:
    """Without repeats (a `related` link can appear from both ends), ordered by identifier."""
    by_id = {ref.id: ref for ref in refs}
    return sorted(by_id.values(), key=lambda ref: _identifier_key(ref.identifier))


def _identifier_key(identifier: str) -> tuple[str, int, str]:
    team, _, number = identifier.rpartition("-")
    return (team, int(number), identifier) if number.isdigit() else (identifier, 0, identifier)


def _fact_list(facts: Iterable[tuple[str, str | None]]) -> str:
    return "\n".join(f"- {name}: {value}" for name, value in facts if value)


def _refs(refs: Iterable[IssueRef]) -> str | None:
    return ", ".join(f"{ref.identifier} ({ref.title})" for ref in refs) or None


def _ref(ref: IssueRef) -> dict[str, JsonValue]:
    return {"id": ref.id, "identifier": ref.identifier, "title": ref.title}


def _team(team: Team) -> str:
    return f"{team.name} ({team.key})"


def _user(user: User | None) -> str | None:
    return user.name if user else None


def _user_ref(user: User | None) -> dict[str, JsonValue] | None:
    return {"id": user.id, "name": user.name} if user else None


def _number(value: float | None) -> str | None:
    return None if value is None else f"{value:g}"


def _date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
