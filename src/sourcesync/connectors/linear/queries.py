"""The GraphQL documents the connector sends, each complete with the fragments it uses.

Nested connections ask for a fixed number of items (`comments(first: 50)`); when an item
has more, `pagination.complete_connection` fetches the rest with the `*_PAGE_QUERY` of
that connection. The sizes keep a batch of `LinearSettings.batch_size` issues under
Linear's complexity limit; `tests/connectors/linear` checks every document against
Linear's schema and estimates its complexity.
"""

from __future__ import annotations

import re

__all__ = [
    "ALL_QUERIES",
    "COMMENT_CHANGES_QUERY",
    "ISSUES_BY_ID_QUERY",
    "ISSUE_CHANGES_QUERY",
    "ISSUE_CHILDREN_PAGE_QUERY",
    "ISSUE_COMMENTS_PAGE_QUERY",
    "ISSUE_INVERSE_RELATIONS_PAGE_QUERY",
    "ISSUE_LABELS_PAGE_QUERY",
    "ISSUE_RELATIONS_PAGE_QUERY",
    "PROJECTS_BY_ID_QUERY",
    "PROJECT_CHANGES_QUERY",
    "PROJECT_ISSUES_PAGE_QUERY",
    "PROJECT_TEAMS_PAGE_QUERY",
    "TEAMS_QUERY",
    "VIEWER_QUERY",
]

_FRAGMENTS = {
    "PageInfoFields": "fragment PageInfoFields on PageInfo { hasNextPage endCursor }",
    "UserFields": "fragment UserFields on User { id name displayName }",
    "IssueRefFields": "fragment IssueRefFields on Issue { id identifier title }",
    "TeamFields": "fragment TeamFields on Team { id key name }",
    "LabelFields": "fragment LabelFields on IssueLabel { id name }",
    "CommentFields": """
fragment CommentFields on Comment {
  id body createdAt updatedAt editedAt parentId
  user { ...UserFields }
  botActor { name }
  externalUser { name }
}""",
    "RelationFields": """
fragment RelationFields on IssueRelation {
  id type
  issue { ...IssueRefFields }
  relatedIssue { ...IssueRefFields }
}""",
    "IssueFields": """
fragment IssueFields on Issue {
  id identifier title description url priority priorityLabel estimate dueDate
  createdAt updatedAt archivedAt trashed
  state { name type }
  team { ...TeamFields }
  assignee { ...UserFields }
  creator { ...UserFields }
  project { id name }
  cycle { id number name }
  parent { ...IssueRefFields }
  labels(first: 25) { nodes { ...LabelFields } pageInfo { ...PageInfoFields } }
  children(first: 25) { nodes { ...IssueRefFields } pageInfo { ...PageInfoFields } }
  relations(first: 25) { nodes { ...RelationFields } pageInfo { ...PageInfoFields } }
  inverseRelations(first: 25) { nodes { ...RelationFields } pageInfo { ...PageInfoFields } }
  comments(first: 50) { nodes { ...CommentFields } pageInfo { ...PageInfoFields } }
}""",
    "ProjectFields": """
fragment ProjectFields on Project {
  id name description content url startDate targetDate
  createdAt updatedAt archivedAt trashed
  status { name type }
  lead { ...UserFields }
  teams(first: 25) { nodes { ...TeamFields } pageInfo { ...PageInfoFields } }
  issues(first: 100) { nodes { ...IssueRefFields } pageInfo { ...PageInfoFields } }
}""",
}

_SPREAD = re.compile(r"\.\.\.([A-Za-z_]\w*)")


def _document(operation: str) -> str:
    """`operation` followed by every fragment it spreads, directly or through another."""
    needed: list[str] = []
    pending = _SPREAD.findall(operation)
    while pending:
        name = pending.pop(0)
        if name not in needed:
            needed.append(name)
            pending.extend(_SPREAD.findall(_FRAGMENTS[name]))
    return "\n".join([operation.strip(), *(_FRAGMENTS[name].strip() for name in needed)])


VIEWER_QUERY = _document("query Viewer { viewer { id name } }")

TEAMS_QUERY = _document("""
query Teams($keys: [String!]!, $first: Int!, $after: String) {
  teams(filter: {key: {in: $keys}}, first: $first, after: $after) {
    nodes { ...TeamFields }
    pageInfo { ...PageInfoFields }
  }
}""")

# Listing what changed asks for ids and timestamps only, in creation order: unlike
# `orderBy: updatedAt`, that order does not shift while an item is edited mid-listing.
ISSUE_CHANGES_QUERY = _document("""
query IssueChanges($filter: IssueFilter, $first: Int!, $after: String, $includeArchived: Boolean!) {
  issues(
    filter: $filter, first: $first, after: $after,
    includeArchived: $includeArchived, orderBy: createdAt
  ) {
    nodes { id updatedAt archivedAt trashed }
    pageInfo { ...PageInfoFields }
  }
}""")

PROJECT_CHANGES_QUERY = _document("""
query ProjectChanges(
  $filter: ProjectFilter, $first: Int!, $after: String, $includeArchived: Boolean!
) {
  projects(
    filter: $filter, first: $first, after: $after,
    includeArchived: $includeArchived, orderBy: createdAt
  ) {
    nodes { id updatedAt archivedAt trashed }
    pageInfo { ...PageInfoFields }
  }
}""")

COMMENT_CHANGES_QUERY = _document("""
query CommentChanges($filter: CommentFilter, $first: Int!, $after: String) {
  comments(
    filter: $filter, first: $first, after: $after, includeArchived: true, orderBy: createdAt
  ) {
    nodes { id updatedAt issue { id } }
    pageInfo { ...PageInfoFields }
  }
}""")

ISSUES_BY_ID_QUERY = _document("""
query IssuesById($ids: [ID!]!, $first: Int!, $after: String) {
  issues(filter: {id: {in: $ids}}, first: $first, after: $after, includeArchived: true) {
    nodes { ...IssueFields }
    pageInfo { ...PageInfoFields }
  }
}""")

PROJECTS_BY_ID_QUERY = _document("""
query ProjectsById($ids: [ID!]!, $first: Int!, $after: String) {
  projects(filter: {id: {in: $ids}}, first: $first, after: $after, includeArchived: true) {
    nodes { ...ProjectFields }
    pageInfo { ...PageInfoFields }
  }
}""")

ISSUE_COMMENTS_PAGE_QUERY = _document("""
query IssueCommentsPage($id: String!, $first: Int!, $after: String) {
  issue(id: $id) {
    comments(first: $first, after: $after) {
      nodes { ...CommentFields }
      pageInfo { ...PageInfoFields }
    }
  }
}""")

ISSUE_LABELS_PAGE_QUERY = _document("""
query IssueLabelsPage($id: String!, $first: Int!, $after: String) {
  issue(id: $id) {
    labels(first: $first, after: $after) {
      nodes { ...LabelFields }
      pageInfo { ...PageInfoFields }
    }
  }
}""")

ISSUE_CHILDREN_PAGE_QUERY = _document("""
query IssueChildrenPage($id: String!, $first: Int!, $after: String) {
  issue(id: $id) {
    children(first: $first, after: $after) {
      nodes { ...IssueRefFields }
      pageInfo { ...PageInfoFields }
    }
  }
}""")

ISSUE_RELATIONS_PAGE_QUERY = _document("""
query IssueRelationsPage($id: String!, $first: Int!, $after: String) {
  issue(id: $id) {
    relations(first: $first, after: $after) {
      nodes { ...RelationFields }
      pageInfo { ...PageInfoFields }
    }
  }
}""")

ISSUE_INVERSE_RELATIONS_PAGE_QUERY = _document("""
query IssueInverseRelationsPage($id: String!, $first: Int!, $after: String) {
  issue(id: $id) {
    inverseRelations(first: $first, after: $after) {
      nodes { ...RelationFields }
      pageInfo { ...PageInfoFields }
    }
  }
}""")

PROJECT_ISSUES_PAGE_QUERY = _document("""
query ProjectIssuesPage($id: String!, $first: Int!, $after: String) {
  project(id: $id) {
    issues(first: $first, after: $after) {
      nodes { ...IssueRefFields }
      pageInfo { ...PageInfoFields }
    }
  }
}""")

PROJECT_TEAMS_PAGE_QUERY = _document("""
query ProjectTeamsPage($id: String!, $first: Int!, $after: String) {
  project(id: $id) {
    teams(first: $first, after: $after) {
      nodes { ...TeamFields }
      pageInfo { ...PageInfoFields }
    }
  }
}""")

ALL_QUERIES: dict[str, str] = {
    "viewer": VIEWER_QUERY,
    "teams": TEAMS_QUERY,
    "issue_changes": ISSUE_CHANGES_QUERY,
    "project_changes": PROJECT_CHANGES_QUERY,
    "comment_changes": COMMENT_CHANGES_QUERY,
    "issues_by_id": ISSUES_BY_ID_QUERY,
    "projects_by_id": PROJECTS_BY_ID_QUERY,
    "issue_comments_page": ISSUE_COMMENTS_PAGE_QUERY,
    "issue_labels_page": ISSUE_LABELS_PAGE_QUERY,
    "issue_children_page": ISSUE_CHILDREN_PAGE_QUERY,
    "issue_relations_page": ISSUE_RELATIONS_PAGE_QUERY,
    "issue_inverse_relations_page": ISSUE_INVERSE_RELATIONS_PAGE_QUERY,
    "project_issues_page": PROJECT_ISSUES_PAGE_QUERY,
    "project_teams_page": PROJECT_TEAMS_PAGE_QUERY,
}
"""Every document the connector sends, by name, for tests and tooling."""
