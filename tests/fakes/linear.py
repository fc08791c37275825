"""A loopback Linear: GraphQL over real HTTP, executed by graphql-core against Linear's
published schema (`tests/fixtures/linear/schema.graphql`) and in-memory data.

What it implements is what the connector relies on, the way Linear documents it: cursor
paging (`first` ≤ 250, `after`, `pageInfo`), `includeArchived`, `orderBy` (`createdAt`
oldest first, `updatedAt` newest first), the filters `and`/`or`, `id`, `key`, `team`,
`issue`, `accessibleTeams.some` and date comparators, auth by `Authorization: <key>` or
`Bearer <token>`, and Linear's failure answers. A filter it does not know fails the request
instead of being ignored, so a test cannot pass by accident.
"""

from __future__ import annotations

import functools
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

from graphql import (
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    build_schema,
    get_named_type,
    graphql_sync,
)

from tests.fakes.chaos import Chaos

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "fixtures" / "linear" / "schema.graphql"
MAX_FIRST = 250
AUTH_ERROR = {
    "message": "Authentication required, not authenticated",
    "extensions": {
        "type": "authentication error",
        "code": "AUTHENTICATION_ERROR",
        "statusCode": 401,
        "userError": True,
        "userPresentableMessage": "You need to authenticate to access this operation.",
    },
}

Node = dict[str, Any]


@functools.cache
def linear_schema() -> GraphQLSchema:
    return build_schema(SCHEMA_PATH.read_text())


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


@dataclass(frozen=True)
class RecordedRequest:
    query: str
    variables: dict[str, Any]
    authorization: str | None


@dataclass(frozen=True)
class _Failure:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


# Which table holds the objects of a GraphQL type, for `{field}Id` references.
_TABLES = {
    "Team": "teams",
    "User": "users",
    "WorkflowState": "states",
    "IssueLabel": "labels",
    "Cycle": "cycles",
    "Project": "projects",
    "ProjectStatus": "project_statuses",
    "Issue": "issues",
    "Comment": "comments",
    "IssueRelation": "relations",
}


@dataclass
class FakeLinear:
    """Run with `with FakeLinear() as linear:`; aim clients at `linear.url`.

    Data lives in `tables` (plain dicts whose keys are GraphQL field names, references as
    `{field}Id`); build it with the `add_*` methods, change it with `update_issue`,
    `add_comment`, `archive_issue`... Timestamps come from `clock`, which only moves when
    `tick` is called, so tests never depend on the wall clock.
    """

    api_key: str = "lin_api_test"
    oauth_token: str = "lin_oauth_test"
    auth_failure_status: int = 400
    clock: datetime = datetime(2024, 1, 1, tzinfo=UTC)
    tables: dict[str, dict[str, Node]] = field(
        default_factory=lambda: {name: {} for name in _TABLES.values()}
    )
    viewer_id: str | None = None
    requests: list[RecordedRequest] = field(default_factory=list)
    chaos: Chaos = field(default_factory=Chaos)
    """Random faults in a share of the answers (``chaos.rate``)."""
    _failures: deque[_Failure] = field(default_factory=deque)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _sequence: int = 0

    # -- server -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/graphql"

    def __enter__(self) -> Self:
        linear_schema()
        handler = functools.partial(_Handler, self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def request_count(self) -> int:
        return len(self.requests)

    def requests_named(self, operation: str) -> list[RecordedRequest]:
        """Requests whose document defines `query {operation}`."""
        return [r for r in self.requests if f"query {operation}" in r.query]

    # -- failure switches ---------------------------------------------------------------

    def rate_limit_next(
        self,
        *,
        status: int = 400,
        times: int = 1,
        requests_reset_ms: int | None = None,
        complexity_reset_ms: int | None = None,
        retry_after: str | None = None,
    ) -> None:
        """Answer the next `times` requests as rate limited: by default as Linear does, HTTP
        400 with a RATELIMITED GraphQL error; `status=429` for a plain HTTP limit."""
        headers: dict[str, str] = {}
        if requests_reset_ms is not None:
            headers["X-RateLimit-Requests-Limit"] = "5000"
            headers["X-RateLimit-Requests-Remaining"] = "0"
            headers["X-RateLimit-Requests-Reset"] = str(requests_reset_ms)
        if complexity_reset_ms is not None:
            headers["X-RateLimit-Complexity-Limit"] = "3000000"
            headers["X-RateLimit-Complexity-Remaining"] = "0"
            headers["X-RateLimit-Complexity-Reset"] = str(complexity_reset_ms)
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        error = {
            "message": "Rate limit exceeded",
            "extensions": {
                "code": "RATELIMITED",
                "type": "Ratelimited",
                "userError": True,
                "userPresentableMessage": "Rate limit exceeded.",
            },
        }
        self._queue(_Failure(status, {"errors": [error]}, headers), times)

    def fail_next(
        self, status: int, message: str, *, code: str | None = None, times: int = 1
    ) -> None:
        """Answer the next `times` requests with HTTP `status` and one GraphQL error."""
        error: dict[str, Any] = {"message": message}
        if code is not None:
            error["extensions"] = {"code": code, "userError": True}
        self._queue(_Failure(status, {"errors": [error]}, {}), times)

    def _queue(self, failure: _Failure, times: int) -> None:
        with self._lock:
            self._failures.extend([failure] * times)

    # -- data ---------------------------------------------------------------------------

    def tick(self, delta: timedelta = timedelta(minutes=1)) -> datetime:
        with self._lock:
            self.clock += delta
            return self.clock

    def _new(self, table: str, prefix: str, node: Node, node_id: str | None = None) -> Node:
        with self._lock:
            self._sequence += 1
            node.setdefault("id", node_id or f"{prefix}-{self._sequence:04d}")
            node.setdefault("createdAt", iso(self.clock))
            node.setdefault("updatedAt", node["createdAt"])
            node.setdefault("archivedAt", None)
            self.tables[table][node["id"]] = node
            return node

    def add_user(self, name: str, **fields: Any) -> Node:
        user = self._new("users", "user", {"name": name, "displayName": name.lower(), **fields})
        if self.viewer_id is None:
            self.viewer_id = user["id"]
        return user

    def add_team(self, key: str, name: str) -> Node:
        team = self._new("teams", "team", {"key": key, "name": name})
        for state_name, state_type in (
            ("Todo", "unstarted"),
            ("In Progress", "started"),
            ("Done", "completed"),
        ):
            self._new(
                "states",
                "state",
                {"name": state_name, "type": state_type, "teamId": team["id"]},
                node_id=f"{key.lower()}-{state_type}",
            )
        return team

    def add_label(self, name: str) -> Node:
        return self._new("labels", "label", {"name": name})

    def add_cycle(self, team: Node, number: int, name: str | None = None) -> Node:
        return self._new("cycles", "cycle", {"number": number, "name": name, "teamId": team["id"]})

    def add_project(
        self,
        name: str,
        *,
        teams: Iterable[Node],
        lead: Node | None = None,
        status: str = "started",
        description: str = "",
        content: str | None = None,
        target_date: str | None = None,
    ) -> Node:
        status_id = f"status-{status}"
        self.tables["project_statuses"].setdefault(
            status_id, {"id": status_id, "name": status.capitalize(), "type": status}
        )
        project = self._new(
            "projects",
            "project",
            {
                "name": name,
                "description": description,
                "content": content,
                "statusId": status_id,
                "leadId": lead["id"] if lead else None,
                "teamIds": [team["id"] for team in teams],
                "startDate": None,
                "targetDate": target_date,
                "trashed": None,
            },
        )
        project["url"] = f"https://linear.app/acme/project/{project['id']}"
        return project

    def add_issue(
        self,
        team: Node,
        title: str,
        *,
        description: str | None = None,
        state: str = "unstarted",
        priority: int = 0,
        assignee: Node | None = None,
        creator: Node | None = None,
        project: Node | None = None,
        cycle: Node | None = None,
        parent: Node | None = None,
        labels: Iterable[Node] = (),
    ) -> Node:
        with self._lock:
            number = 1 + sum(1 for i in self.tables["issues"].values() if i["teamId"] == team["id"])
            identifier = f"{team['key']}-{number}"
            issue = self._new(
                "issues",
                "issue",
                {
                    "identifier": identifier,
                    "number": number,
                    "title": title,
                    "description": description,
                    "url": f"https://linear.app/acme/issue/{identifier}",
                    "priority": priority,
                    "priorityLabel": ["No priority", "Urgent", "High", "Medium", "Low"][priority],
                    "estimate": None,
                    "dueDate": None,
                    "trashed": None,
                    "teamId": team["id"],
                    "stateId": f"{team['key'].lower()}-{state}",
                    "assigneeId": assignee["id"] if assignee else None,
                    "creatorId": creator["id"] if creator else None,
                    "projectId": project["id"] if project else None,
                    "cycleId": cycle["id"] if cycle else None,
                    "parentId": parent["id"] if parent else None,
                    "labelIds": [label["id"] for label in labels],
                },
            )
            return issue

    def add_comment(self, issue: Node, user: Node | None, body: str, **fields: Any) -> Node:
        """A new comment; like Linear, it leaves the issue's `updatedAt` alone."""
        return self._new(
            "comments",
            "comment",
            {
                "body": body,
                "issueId": issue["id"],
                "userId": user["id"] if user else None,
                "editedAt": None,
                "parentId": None,
                **fields,
            },
        )

    def add_relation(self, issue: Node, related: Node, kind: str) -> Node:
        """`issue` {blocks, related, duplicate, similar} `related`."""
        return self._new(
            "relations",
            "relation",
            {"type": kind, "issueId": issue["id"], "relatedIssueId": related["id"]},
        )

    def update_issue(self, issue_id: str, **changes: Any) -> Node:
        with self._lock:
            issue = self.tables["issues"][issue_id]
            issue.update(changes, updatedAt=iso(self.clock))
            return issue

    def update_project(self, project_id: str, **changes: Any) -> Node:
        with self._lock:
            project = self.tables["projects"][project_id]
            project.update(changes, updatedAt=iso(self.clock))
            return project

    def archive_issue(self, issue_id: str) -> Node:
        with self._lock:
            issue = self.tables["issues"][issue_id]
            issue["archivedAt"] = iso(self.clock)
            return issue

    def archive_project(self, project_id: str) -> Node:
        return self.update_project(project_id, archivedAt=iso(self.clock))

    def delete_issue(self, issue_id: str) -> None:
        with self._lock:
            del self.tables["issues"][issue_id]

    # -- GraphQL ------------------------------------------------------------------------

    def answer(
        self, authorization: str | None, body: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """(status, JSON body, headers) for one POST."""
        try:
            request = json.loads(body)
        except ValueError:
            return 400, {"errors": [{"message": "Body is not JSON"}]}, {}
        query, variables = request.get("query", ""), request.get("variables") or {}
        with self._lock:
            self.requests.append(RecordedRequest(query, variables, authorization))
            failure = self._failures.popleft() if self._failures else None
        if failure is not None:
            return failure.status, failure.body, failure.headers
        if authorization not in (self.api_key, f"Bearer {self.oauth_token}"):
            return self.auth_failure_status, {"errors": [AUTH_ERROR]}, {}
        with self._lock:
            result = graphql_sync(
                linear_schema(),
                query,
                root_value={},
                variable_values=variables,
                field_resolver=self._resolve,
            )
        payload = result.formatted
        status = 400 if result.errors and result.data is None else 200
        return status, payload, {}

    def _resolve(self, source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        parent, name = info.parent_type.name, info.field_name
        custom = _RESOLVERS.get((parent, name))
        if custom is not None:
            return custom(self, source, args)
        type_name = get_named_type(info.return_type).name
        if f"{name}Id" in source and type_name in _TABLES:
            ref = source[f"{name}Id"]
            return None if ref is None else self.tables[_TABLES[type_name]][ref]
        return source.get(name)

    def _connection(self, table: str, nodes: Iterable[Node], args: dict[str, Any]) -> Node:
        selected = [
            n
            for n in nodes
            if (args.get("includeArchived") or not n.get("archivedAt"))
            and self._matches(table, n, args.get("filter"))
        ]
        if args.get("orderBy") == "updatedAt":
            selected.sort(key=lambda n: (n["updatedAt"], n["id"]), reverse=True)
        else:
            selected.sort(key=lambda n: (n["createdAt"], n["id"]))
        first = 50 if args.get("first") is None else args["first"]
        if not 0 <= first <= MAX_FIRST:
            raise GraphQLError(f"first must be between 0 and {MAX_FIRST}, got {first}")
        start = 0
        if args.get("after"):
            ids = [n["id"] for n in selected]
            if args["after"] not in ids:
                raise GraphQLError(f"invalid cursor {args['after']!r}")
            start = ids.index(args["after"]) + 1
        page = selected[start : start + first]
        has_next = start + first < len(selected)
        return {
            "nodes": page,
            "edges": [{"node": n, "cursor": n["id"]} for n in page],
            "pageInfo": {
                "hasNextPage": has_next,
                "hasPreviousPage": start > 0,
                "startCursor": page[0]["id"] if page else None,
                "endCursor": page[-1]["id"] if page else None,
            },
        }

    def _matches(self, table: str, node: Node | None, spec: dict[str, Any] | None) -> bool:
        if spec is None:
            return True
        if node is None:
            return spec.get("null") is True
        for key, condition in spec.items():
            if condition is None:
                continue
            if key == "and":
                ok = all(self._matches(table, node, c) for c in condition)
            elif key == "or":
                ok = any(self._matches(table, node, c) for c in condition)
            elif key == "null":
                ok = condition is False
            elif key in ("createdAt", "updatedAt", "archivedAt"):
                ok = _compare_dates(node.get(key), condition)
            elif key in ("id", "key"):
                ok = _compare_values(node.get(key), condition)
            elif key == "team" and table in ("issues",):
                ok = self._matches("teams", self.tables["teams"][node["teamId"]], condition)
            elif key == "issue" and table == "comments":
                issue = self.tables["issues"].get(node.get("issueId") or "")
                ok = self._matches("issues", issue, condition)
            elif key == "accessibleTeams" and table == "projects" and set(condition) == {"some"}:
                teams = [self.tables["teams"][t] for t in node["teamIds"]]
                ok = any(self._matches("teams", t, condition["some"]) for t in teams)
            else:
                raise GraphQLError(f"fake Linear does not support the {table} filter {key!r}")
            if not ok:
                return False
        return True


def _compare_values(value: Any, comparator: dict[str, Any]) -> bool:
    for op, operand in comparator.items():
        if op == "eq":
            ok = value == operand
        elif op == "in":
            ok = value in operand
        elif op == "neq":
            ok = value != operand
        elif op == "nin":
            ok = value not in operand
        else:
            raise GraphQLError(f"fake Linear does not support the comparator {op!r}")
        if not ok:
            return False
    return True


def _compare_dates(value: str | None, comparator: dict[str, Any]) -> bool:
    for op, operand in comparator.items():
        if op == "null":
            ok = (value is None) == operand
        elif value is None:
            ok = False
        else:
            left, right = _parse(value), _parse(operand)
            ops: dict[str, Callable[[datetime, datetime], bool]] = {
                "eq": lambda a, b: a == b,
                "gt": lambda a, b: a > b,
                "gte": lambda a, b: a >= b,
                "lt": lambda a, b: a < b,
                "lte": lambda a, b: a <= b,
            }
            if op not in ops:
                raise GraphQLError(f"fake Linear does not support the date comparator {op!r}")
            ok = ops[op](left, right)
        if not ok:
            return False
    return True


def _by_id(table: str) -> Callable[[FakeLinear, Any, dict[str, Any]], Node]:
    def resolve(fake: FakeLinear, _source: Any, args: dict[str, Any]) -> Node:
        node = fake.tables[table].get(args["id"])
        if node is None:
            raise GraphQLError("Entity not found", extensions={"code": "INVALID_INPUT"})
        return node

    return resolve


def _top(table: str) -> Callable[[FakeLinear, Any, dict[str, Any]], Node]:
    def resolve(fake: FakeLinear, _source: Any, args: dict[str, Any]) -> Node:
        return fake._connection(table, fake.tables[table].values(), args)

    return resolve


def _children_of(
    table: str, belongs: Callable[[Node, Node], bool]
) -> Callable[[FakeLinear, Node, dict[str, Any]], Node]:
    def resolve(fake: FakeLinear, source: Node, args: dict[str, Any]) -> Node:
        nodes = [n for n in fake.tables[table].values() if belongs(n, source)]
        return fake._connection(table, nodes, args)

    return resolve


_RESOLVERS: dict[tuple[str, str], Callable[[FakeLinear, Any, dict[str, Any]], Any]] = {
    ("Query", "viewer"): lambda fake, _s, _a: fake.tables["users"][fake.viewer_id],
    ("Query", "teams"): _top("teams"),
    ("Query", "issues"): _top("issues"),
    ("Query", "projects"): _top("projects"),
    ("Query", "comments"): _top("comments"),
    ("Query", "issue"): _by_id("issues"),
    ("Query", "project"): _by_id("projects"),
    ("Issue", "comments"): _children_of("comments", lambda c, i: c["issueId"] == i["id"]),
    ("Issue", "children"): _children_of("issues", lambda c, i: c["parentId"] == i["id"]),
    ("Issue", "labels"): _children_of("labels", lambda label, i: label["id"] in i["labelIds"]),
    ("Issue", "relations"): _children_of("relations", lambda r, i: r["issueId"] == i["id"]),
    ("Issue", "inverseRelations"): _children_of(
        "relations", lambda r, i: r["relatedIssueId"] == i["id"]
    ),
    ("Project", "issues"): _children_of("issues", lambda i, p: i["projectId"] == p["id"]),
    ("Project", "teams"): _children_of("teams", lambda t, p: t["id"] in p["teamIds"]),
}


class _Handler(BaseHTTPRequestHandler):
    def __init__(self, fake: FakeLinear, *args: Any) -> None:
        self.fake = fake
        super().__init__(*args)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if self.fake.chaos.answer(self):
            self.rfile.read(length)
            return
        status, body, headers = self.fake.answer(
            self.headers.get("Authorization"), self.rfile.read(length)
        )
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)
