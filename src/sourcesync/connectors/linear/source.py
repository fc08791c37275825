"""Linear issues and projects as a source of documents: full and incremental listing,
deletions, and fetching named items (for webhooks).

Incremental syncs work in two passes. The first lists, cheaply, the ids and `updatedAt` of
everything changed since the cursor (less `LinearSettings.overlap`, because Linear reports
late): issues, projects, and the issues of changed comments, since a new comment does not
always touch its issue. The second sorts them by `updatedAt` and fetches them in full, one
batch at a time. Linear itself cannot page in ascending `updatedAt` order (`orderBy:
updatedAt` is newest first), and only ascending batches let the caller store a batch and
then advance its cursor to the batch's last timestamp without skipping anything.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Literal, Self

from sourcesync.documents import Document

from ..cursors import UpdatedAtCursor
from ..document_source import DocumentBatch
from ..errors import SourceConfigError
from ..spec import SourceCursor
from .client import JSONObject, LinearClient
from .ids import linear_issue_id, linear_project_id
from .models import Issue, Project
from .pagination import complete_connection, iter_pages
from .queries import (
    COMMENT_CHANGES_QUERY,
    ISSUE_CHANGES_QUERY,
    ISSUE_CHILDREN_PAGE_QUERY,
    ISSUE_COMMENTS_PAGE_QUERY,
    ISSUE_INVERSE_RELATIONS_PAGE_QUERY,
    ISSUE_LABELS_PAGE_QUERY,
    ISSUE_RELATIONS_PAGE_QUERY,
    ISSUES_BY_ID_QUERY,
    PROJECT_CHANGES_QUERY,
    PROJECT_ISSUES_PAGE_QUERY,
    PROJECT_TEAMS_PAGE_QUERY,
    PROJECTS_BY_ID_QUERY,
    TEAMS_QUERY,
    VIEWER_QUERY,
)
from .settings import LinearSettings
from .transform import issue_document, project_document

__all__ = ["LinearBatch", "LinearDocuments", "LinearSource"]

_ISSUE_CONNECTIONS = (
    ("comments", ISSUE_COMMENTS_PAGE_QUERY),
    ("labels", ISSUE_LABELS_PAGE_QUERY),
    ("children", ISSUE_CHILDREN_PAGE_QUERY),
    ("relations", ISSUE_RELATIONS_PAGE_QUERY),
    ("inverseRelations", ISSUE_INVERSE_RELATIONS_PAGE_QUERY),
)
_PROJECT_CONNECTIONS = (
    ("issues", PROJECT_ISSUES_PAGE_QUERY),
    ("teams", PROJECT_TEAMS_PAGE_QUERY),
)

_Kind = Literal["issue", "project"]


@dataclass(frozen=True, kw_only=True)
class LinearDocuments:
    """Documents to store and document ids to delete (archived, trashed or gone)."""

    documents: list[Document]
    deleted_ids: list[str]


@dataclass(frozen=True, kw_only=True)
class LinearBatch(LinearDocuments):
    """One batch of changes; once it is stored, the sync cursor may advance to `cursor`."""

    cursor: datetime


@dataclass(frozen=True, order=True)
class _Change:
    updated_at: datetime
    kind: _Kind
    id: str
    gone: bool = field(default=False, compare=False)


class LinearSource:
    """The issues and projects of one Linear workspace, as documents."""

    def __init__(
        self,
        *,
        workspace_id: str,
        source_id: str,
        settings: LinearSettings | None = None,
        client: LinearClient | None = None,
        teams: Sequence[str] = (),
    ) -> None:
        self.workspace_id = workspace_id
        self.source_id = source_id
        self.teams = tuple(teams)
        self.settings = settings or LinearSettings()
        self.client = client or LinearClient.from_settings(self.settings)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def validate(self, teams: Sequence[str] | None = None) -> str:
        """Check the token (and that the team keys `teams`, by default the source's, exist);
        return the token's user."""
        teams = self.teams if teams is None else teams
        viewer = self.client.execute(VIEWER_QUERY)["viewer"]
        if teams:
            found = {
                team["key"]
                for page in iter_pages(
                    self.client,
                    TEAMS_QUERY,
                    {"keys": list(teams)},
                    path=("teams",),
                    page_size=self.settings.id_page_size,
                )
                for team in page
            }
            missing = sorted(set(teams) - found)
            if missing:
                raise SourceConfigError(
                    f"Linear has no team with key {', '.join(missing)} visible to "
                    f"{viewer['name']}: check the team keys (like ENG in ENG-123)"
                )
        return str(viewer["name"])

    def changes(self, cursor: SourceCursor | None) -> Iterator[DocumentBatch]:
        """The `DocumentSource` face of `iter_changes`, for the source's teams."""
        since = cursor.updated_at if isinstance(cursor, UpdatedAtCursor) else None
        for batch in self.iter_changes(since, self.teams or None):
            yield DocumentBatch(
                documents=batch.documents,
                deleted_ids=batch.deleted_ids,
                cursor=UpdatedAtCursor(updated_at=batch.cursor),
            )

    def live_ids(self) -> set[str]:
        """The `DocumentSource` face of `list_ids`, for the source's teams."""
        return self.list_ids(self.teams or None)

    def iter_changes(
        self, since: datetime | None, teams: Sequence[str] | None = None
    ) -> Iterator[LinearBatch]:
        """Batches of what changed since `since` (everything when None), oldest first.

        `teams` limits the sync to the teams with those keys. An incremental sync includes
        archived and trashed items, reported in `deleted_ids`; a full sync lists live items
        only and leaves deletions to `list_ids`.
        """
        changes = self._changes(since, teams)
        size = self.settings.batch_size
        for start in range(0, len(changes), size):
            chunk = changes[start : start + size]
            fetched = self.fetch(
                issue_ids=[c.id for c in chunk if c.kind == "issue" and not c.gone],
                project_ids=[c.id for c in chunk if c.kind == "project" and not c.gone],
            )
            gone = [_document_id(c.kind, c.id) for c in chunk if c.gone]
            yield LinearBatch(
                documents=fetched.documents,
                deleted_ids=gone + fetched.deleted_ids,
                cursor=chunk[-1].updated_at,
            )

    def fetch(
        self, *, issue_ids: Sequence[str] = (), project_ids: Sequence[str] = ()
    ) -> LinearDocuments:
        """The documents of the named issues and projects; archived, trashed or missing
        ones come back as ids to delete."""
        documents: dict[str, Document] = {}
        deleted: list[str] = []
        size = self.settings.batch_size
        for start in range(0, len(issue_ids), size):
            chunk = list(issue_ids[start : start + size])
            for node in self._nodes_by_id(ISSUES_BY_ID_QUERY, "issues", chunk):
                if _is_gone(node):
                    deleted.append(linear_issue_id(node["id"]))
                    continue
                self._complete(node, "issue", _ISSUE_CONNECTIONS)
                issue = Issue.model_validate(node)
                documents[issue.id] = issue_document(
                    issue, workspace_id=self.workspace_id, source_id=self.source_id
                )
            deleted += [linear_issue_id(i) for i in chunk if i not in documents]
        for start in range(0, len(project_ids), size):
            chunk = list(project_ids[start : start + size])
            for node in self._nodes_by_id(PROJECTS_BY_ID_QUERY, "projects", chunk):
                if _is_gone(node):
                    deleted.append(linear_project_id(node["id"]))
                    continue
                self._complete(node, "project", _PROJECT_CONNECTIONS)
                project = Project.model_validate(node)
                documents[project.id] = project_document(
                    project, workspace_id=self.workspace_id, source_id=self.source_id
                )
            deleted += [linear_project_id(i) for i in chunk if i not in documents]
        ordered = [documents[i] for i in [*issue_ids, *project_ids] if i in documents]
        return LinearDocuments(documents=ordered, deleted_ids=list(dict.fromkeys(deleted)))

    def list_ids(self, teams: Sequence[str] | None = None) -> set[str]:
        """The document ids of every live issue and project, for deletion detection after
        a full sync: stored documents missing from this set are gone from Linear."""
        ids: set[str] = set()
        for kind, query, path, filters in _listings(None, teams):
            for node in self._iter_nodes(
                query, {"filter": filters, "includeArchived": False}, path
            ):
                if not _is_gone(node):
                    ids.add(_document_id(kind, node["id"]))
        return ids

    def _changes(self, since: datetime | None, teams: Sequence[str] | None) -> list[_Change]:
        """Every changed item once, at its latest timestamp, in ascending order."""
        window = None if since is None else _aware(since) - self.settings.overlap
        latest: dict[tuple[_Kind, str], _Change] = {}

        def record(change: _Change) -> None:
            key = (change.kind, change.id)
            known = latest.get(key)
            if known is not None:
                change = _Change(
                    max(known.updated_at, change.updated_at),
                    change.kind,
                    change.id,
                    gone=known.gone or change.gone,
                )
            latest[key] = change

        include_archived = window is not None
        for kind, query, path, filters in _listings(window, teams):
            for node in self._iter_nodes(
                query, {"filter": filters, "includeArchived": include_archived}, path
            ):
                record(_Change(_parse_time(node["updatedAt"]), kind, node["id"], _is_gone(node)))
        if window is not None:
            comment_filter = _comment_filter(window, teams)
            for node in self._iter_nodes(
                COMMENT_CHANGES_QUERY, {"filter": comment_filter}, "comments"
            ):
                # Comments on projects or documents have no issue.
                if node.get("issue"):
                    record(_Change(_parse_time(node["updatedAt"]), "issue", node["issue"]["id"]))
        return sorted(latest.values())

    def _iter_nodes(
        self, query: str, variables: dict[str, object], path: str
    ) -> Iterator[JSONObject]:
        for page in iter_pages(
            self.client, query, variables, path=(path,), page_size=self.settings.id_page_size
        ):
            yield from page

    def _nodes_by_id(self, query: str, path: str, ids: list[str]) -> Iterator[JSONObject]:
        for page in iter_pages(
            self.client, query, {"ids": ids}, path=(path,), page_size=self.settings.batch_size
        ):
            yield from page

    def _complete(
        self, node: JSONObject, owner: str, connections: Sequence[tuple[str, str]]
    ) -> None:
        """Fill in the nested connections of `node` past their first page, in place."""
        for name, query in connections:
            node[name] = complete_connection(
                self.client,
                node[name],
                query,
                {"id": node["id"]},
                path=(owner, name),
                page_size=self.settings.nested_page_size,
            )


def _listings(
    window: datetime | None, teams: Sequence[str] | None
) -> tuple[tuple[_Kind, str, str, JSONObject | None], ...]:
    """(kind, query, connection, filter) of the item listings, issues then projects."""
    return (
        ("issue", ISSUE_CHANGES_QUERY, "issues", _issue_filter(window, teams)),
        ("project", PROJECT_CHANGES_QUERY, "projects", _project_filter(window, teams)),
    )


def _document_id(kind: _Kind, item_id: str) -> str:
    return linear_issue_id(item_id) if kind == "issue" else linear_project_id(item_id)


def _is_gone(node: JSONObject) -> bool:
    return bool(node.get("archivedAt") or node.get("trashed"))


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"sync cursors must be timezone-aware, got {moment.isoformat()}")
    return moment


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _graphql_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _team_filter(teams: Sequence[str] | None) -> JSONObject | None:
    return {"key": {"in": list(teams)}} if teams else None


def _all_of(clauses: list[JSONObject]) -> JSONObject | None:
    if len(clauses) > 1:
        return {"and": clauses}
    return clauses[0] if clauses else None


def _issue_filter(window: datetime | None, teams: Sequence[str] | None) -> JSONObject | None:
    clauses: list[JSONObject] = []
    if window is not None:
        # Archiving may leave `updatedAt` alone; `archivedAt` catches it.
        gte = {"gte": _graphql_time(window)}
        clauses.append({"or": [{"updatedAt": gte}, {"archivedAt": gte}]})
    if (team := _team_filter(teams)) is not None:
        clauses.append({"team": team})
    return _all_of(clauses)


def _project_filter(window: datetime | None, teams: Sequence[str] | None) -> JSONObject | None:
    clauses: list[JSONObject] = []
    if window is not None:
        clauses.append({"updatedAt": {"gte": _graphql_time(window)}})
    if (team := _team_filter(teams)) is not None:
        clauses.append({"accessibleTeams": {"some": team}})
    return _all_of(clauses)


def _comment_filter(window: datetime, teams: Sequence[str] | None) -> JSONObject | None:
    clauses: list[JSONObject] = [{"updatedAt": {"gte": _graphql_time(window)}}]
    if (team := _team_filter(teams)) is not None:
        clauses.append({"issue": {"team": team}})
    return _all_of(clauses)
