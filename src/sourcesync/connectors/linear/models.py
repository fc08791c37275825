"""Typed views of the nodes the queries in `queries.py` select.

Connections arrive as `{"nodes": [...], "pageInfo": ...}` and are read as plain lists:
`source.py` completes every nested connection before a node is parsed here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel

__all__ = [
    "Comment",
    "Cycle",
    "Issue",
    "IssueRef",
    "IssueRelation",
    "Label",
    "NamedActor",
    "Project",
    "ProjectRef",
    "ProjectStatus",
    "Team",
    "User",
    "WorkflowState",
]

T = TypeVar("T")


def _nodes(value: Any) -> Any:
    return value["nodes"] if isinstance(value, dict) and "nodes" in value else value


Nodes = Annotated[list[T], BeforeValidator(_nodes)]


class _Node(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore"
    )


class User(_Node):
    id: str
    name: str
    display_name: str | None = None


class NamedActor(_Node):
    """A bot or an external user, who may write comments instead of a Linear user."""

    name: str | None = None


class Team(_Node):
    id: str
    key: str
    name: str


class Label(_Node):
    id: str
    name: str


class WorkflowState(_Node):
    name: str
    type: str


class Cycle(_Node):
    id: str
    number: float
    name: str | None = None

    @property
    def title(self) -> str:
        return self.name or f"Cycle {int(self.number)}"


class IssueRef(_Node):
    id: str
    identifier: str
    title: str


class ProjectRef(_Node):
    id: str
    name: str


class Comment(_Node):
    id: str
    body: str
    created_at: datetime
    updated_at: datetime
    edited_at: datetime | None = None
    parent_id: str | None = None
    user: User | None = None
    bot_actor: NamedActor | None = None
    external_user: NamedActor | None = None

    @property
    def author(self) -> str:
        for actor in (self.user, self.bot_actor, self.external_user):
            if actor is not None and actor.name:
                return actor.name
        return "Unknown"


class IssueRelation(_Node):
    """`issue` → `relatedIssue`, as in "`issue` blocks `relatedIssue`"."""

    id: str
    type: str
    issue: IssueRef
    related_issue: IssueRef


class Issue(_Node):
    id: str
    identifier: str
    title: str
    description: str | None = None
    url: str
    priority: float
    priority_label: str
    estimate: float | None = None
    due_date: date | None = None
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None = None
    trashed: bool | None = None
    state: WorkflowState
    team: Team
    assignee: User | None = None
    creator: User | None = None
    project: ProjectRef | None = None
    cycle: Cycle | None = None
    parent: IssueRef | None = None
    labels: Nodes[Label]
    children: Nodes[IssueRef]
    relations: Nodes[IssueRelation]
    inverse_relations: Nodes[IssueRelation]
    comments: Nodes[Comment]


class ProjectStatus(_Node):
    name: str
    type: str


class Project(_Node):
    id: str
    name: str
    description: str
    content: str | None = None
    url: str
    start_date: date | None = None
    target_date: date | None = None
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None = None
    trashed: bool | None = None
    status: ProjectStatus
    lead: User | None = None
    teams: Nodes[Team]
    issues: Nodes[IssueRef]
