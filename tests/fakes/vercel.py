"""A loopback Vercel REST API on the payload shapes of Vercel's API reference.

Objects are built from the documented examples in ``tests/fixtures/vercel/`` (a v6
deployment listing item, a v9 project, a v10 env listing, the events array form) with
the test's values. What it implements is what the connector relies on: bearer tokens
(403 ``invalidToken`` for a bad one), ``teamId``/``slug`` scoping, ``limit`` (at most
100) with ``until``/``pagination.next`` paging newest first, ``since``, ``projectId``,
``decrypt`` on env listings (values ARE returned, as Vercel returns plain variables'
text, so tests can prove they go no further), 404s, and injected 429/5xx answers.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import hmac
import json
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "vercel"
MAX_LIMIT = 100

Json = dict[str, Any]


@functools.cache
def fixture(name: str) -> Json:
    data: Json = json.loads((FIXTURES / name).read_text())
    return data


def _deployment_template() -> Json:
    item = copy.deepcopy(fixture("list-deployments-v6-sdk-docs-example.json")["deployments"][0])
    for gone in ("deleted", "undeleted", "softDeletedByRetention"):
        item.pop(gone, None)
    return item


def _project_template() -> Json:
    item = copy.deepcopy(fixture("get-project-v9.json"))
    item.pop("_source", None)
    return item


def _env_template() -> Json:
    return copy.deepcopy(fixture("list-env-v10.json")["envs"][0])


@dataclass(frozen=True)
class Recorded:
    path: str
    query: dict[str, str]
    authorization: str | None


@dataclass(frozen=True)
class Failure:
    status: int
    headers: dict[str, str]
    path_prefix: str = "/"


def sign(secret: str, body: bytes) -> str:
    """The ``x-vercel-signature`` Vercel sends: hex HMAC-SHA1 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


@dataclass
class FakeVercel:
    """Run with ``with FakeVercel() as vercel:``; aim the connector at ``vercel.url``.

    Time is ``clock`` (epoch ms), moved only by ``tick``; every object gets distinct
    timestamps, so paging by time is exact.
    """

    token: str = "vercel-test-token-0123456789"
    team_id: str = "team_a1b2c3d4e5f6g7h8i9j0k1l2"
    team_slug: str = "acme"
    clock: int = 1_763_000_000_000  # 2025-11-13
    projects: dict[str, Json] = field(default_factory=dict)
    envs: dict[str, list[Json]] = field(default_factory=dict)
    deployments: dict[str, Json] = field(default_factory=dict)
    events: dict[str, list[Json]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    failures: deque[Failure] = field(default_factory=deque)
    spacing_ms: int = 5 * 3600 * 1000
    """Time between two deployments: 300 of them span about two months."""
    _sequence: int = 0
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _server: ThreadingHTTPServer | None = None

    # -- data -----------------------------------------------------------------------------

    def tick(self, ms: int = 1000) -> int:
        self.clock += ms
        return self.clock

    def _next_id(self, prefix: str) -> str:
        self._sequence += 1
        digest = hashlib.sha1(f"{prefix}{self._sequence}".encode()).hexdigest()[:24]
        return f"{prefix}_{digest}"

    def add_project(self, name: str, *, framework: str = "nextjs", repo: str | None = None) -> Json:
        with self._lock:
            project = _project_template()
            project.update(
                id=self._next_id("prj"),
                name=name,
                framework=framework,
                accountId=self.team_id,
                createdAt=self.tick(),
                updatedAt=self.clock,
            )
            if repo:
                org, _, repo_name = repo.partition("/")
                project["link"].update(org=org, repo=repo_name)
            else:
                project.pop("link")
            project["targets"]["production"]["alias"] = [
                f"{name}.acme.com",
                f"{name}-acme.vercel.app",
            ]
            self.projects[project["id"]] = project
            self.envs[project["id"]] = []
            return project

    def update_project(self, project_id: str, **fields: Any) -> None:
        with self._lock:
            self.projects[project_id].update(fields, updatedAt=self.tick())

    def remove_project(self, project_id: str) -> None:
        with self._lock:
            del self.projects[project_id]
            self.envs.pop(project_id, None)
            for uid in [u for u, d in self.deployments.items() if d["projectId"] == project_id]:
                self.delete_deployment(uid)

    def add_env(
        self,
        project: Json,
        key: str,
        value: str,
        targets: Sequence[str],
        *,
        kind: str = "encrypted",
    ) -> Json:
        with self._lock:
            env = _env_template()
            env.update(
                id=self._next_id("env"),
                key=key,
                value=value,
                type=kind,
                target=list(targets),
                createdAt=self.tick(),
                updatedAt=self.clock,
            )
            self.envs[project["id"]].append(env)
            project["updatedAt"] = self.clock
            return env

    def add_deployment(
        self,
        project: Json,
        *,
        state: str = "READY",
        target: str | None = "production",
        build_ms: int = 60_000,
        sha: str | None = None,
        message: str = "Update",
        ref: str = "main",
        log: Sequence[tuple[str, str]] = (),
        creator: str = "ada",
    ) -> Json:
        """A deployment created now; ``log`` is its build output as (type, text) events."""
        with self._lock:
            uid = self._next_id("dpl")
            created = self.tick(self.spacing_ms)
            building = created + 2_000
            item = _deployment_template()
            item.update(
                uid=uid,
                name=project["name"],
                projectId=project["id"],
                url=f"{project['name']}-{uid[4:13]}-acme.vercel.app",
                created=created,
                createdAt=created,
                buildingAt=building,
                ready=building + build_ms if state in ("READY", "ERROR", "CANCELED") else None,
                state=state,
                readyState=state,
                target=target,
                source="git",
                inspectorUrl=f"https://vercel.com/acme/{project['name']}/{uid[4:]}",
                creator={
                    "uid": f"usr_{creator}",
                    "email": f"{creator}@acme.com",
                    "username": creator,
                    "githubLogin": creator,
                },
            )
            link = project.get("link")
            if link and sha:
                item["meta"] = {
                    "githubCommitSha": sha,
                    "githubCommitMessage": message,
                    "githubCommitRef": ref,
                    "githubCommitOrg": link["org"],
                    "githubCommitRepo": link["repo"],
                    "githubCommitAuthorLogin": creator,
                }
            self.deployments[uid] = item
            self.events[uid] = [
                {
                    "type": kind,
                    "created": building + n,
                    "payload": {
                        "deploymentId": uid,
                        "id": f"{uid}-{n}",
                        "date": building + n,
                        "serial": f"{building + n}-{n:05d}",
                        "text": text,
                    },
                }
                for n, (kind, text) in enumerate(log)
            ]
            return item

    def finish(self, uid: str, state: str, build_ms: int) -> None:
        with self._lock:
            item = self.deployments[uid]
            item.update(state=state, readyState=state, ready=item["buildingAt"] + build_ms)

    def delete_deployment(self, uid: str) -> None:
        with self._lock:
            self.deployments.pop(uid)
            self.events.pop(uid, None)

    def fail_next(
        self, status: int, headers: dict[str, str] | None = None, path: str = "/"
    ) -> None:
        """The next request under ``path`` is answered ``status`` (a 429, a 500...)."""
        self.failures.append(Failure(status, headers or {}, path))

    # -- API --------------------------------------------------------------------------------

    def handle(
        self, path: str, query: dict[str, str], authorization: str | None
    ) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self.requests.append(Recorded(path, query, authorization))
            for failure in list(self.failures):
                if path.startswith(failure.path_prefix):
                    self.failures.remove(failure)
                    return (
                        failure.status,
                        failure.headers,
                        {
                            "error": {
                                "code": "rate_limited" if failure.status == 429 else "internal",
                                "message": "injected failure",
                            }
                        },
                    )
            if authorization != f"Bearer {self.token}":
                return (
                    403,
                    {},
                    {
                        "error": {
                            "code": "forbidden",
                            "message": "Not authorized",
                            "invalidToken": True,
                        }
                    },
                )
            if path == "/v2/user":
                user = copy.deepcopy(fixture("get-user-v2.json")["user"])
                return 200, {}, {"user": user}
            if path.startswith("/v2/teams/"):
                wanted = path.removeprefix("/v2/teams/")
                if wanted not in (self.team_id, self.team_slug):
                    return 404, {}, _error("not_found", "Team not found")
                return 200, {}, {"id": self.team_id, "slug": self.team_slug, "name": "Acme"}
            team = query.get("teamId") or query.get("slug")
            if team not in (self.team_id, self.team_slug):
                # Without a team (or with another), the scope is the personal account.
                return 403, {}, _error("forbidden", "You don't have access to this scope")
            limit = int(query.get("limit", "20"))
            listing = path in ("/v10/projects", "/v6/deployments")
            if listing and not 1 <= limit <= MAX_LIMIT:
                return 400, {}, _error("bad_request", f"limit must be between 1 and {MAX_LIMIT}")
            return self._route(path, query, limit)

    def _route(
        self, path: str, query: dict[str, str], limit: int
    ) -> tuple[int, dict[str, str], Any]:
        parts = path.strip("/").split("/")
        if path == "/v10/projects":
            ordered = sorted(self.projects.values(), key=lambda p: -p["updatedAt"])
            return 200, {}, _page(ordered, "projects", "updatedAt", query, limit)
        if len(parts) == 3 and parts[:2] == ["v9", "projects"]:
            project = self._project(parts[2])
            return (
                (200, {}, project)
                if project
                else (404, {}, _error("not_found", "Project not found"))
            )
        if len(parts) == 4 and parts[:2] == ["v10", "projects"] and parts[3] == "env":
            project = self._project(parts[2])
            if not project:
                return 404, {}, _error("not_found", "Project not found")
            return 200, {}, {"envs": copy.deepcopy(self.envs[project["id"]])}
        if path == "/v6/deployments":
            ordered = sorted(self.deployments.values(), key=lambda d: -d["created"])
            if "projectId" in query:
                ordered = [d for d in ordered if d["projectId"] == query["projectId"]]
            if "since" in query:
                ordered = [d for d in ordered if d["created"] > int(query["since"])]
            return 200, {}, _page(ordered, "deployments", "created", query, limit)
        if len(parts) == 3 and parts[:2] == ["v13", "deployments"]:
            item = self.deployments.get(parts[2])
            if item is None:
                return 404, {}, _error("not_found", "Deployment not found")
            single = {k: v for k, v in item.items() if k not in ("uid", "state", "created")}
            return 200, {}, {**single, "id": item["uid"]}
        if len(parts) == 4 and parts[:2] == ["v3", "deployments"] and parts[3] == "events":
            if parts[2] not in self.events:
                return 404, {}, _error("not_found", "Deployment not found")
            return 200, {}, copy.deepcopy(self.events[parts[2]])
        return 404, {}, _error("not_found", f"no route {path}")

    def _project(self, id_or_name: str) -> Json | None:
        for project in self.projects.values():
            if id_or_name in (project["id"], project["name"]):
                return copy.deepcopy(project)
        return None

    # -- server -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                del format, args

            def do_GET(self) -> None:
                split = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(split.query).items()}
                status, headers, body = fake.handle(
                    split.path, query, self.headers.get("Authorization")
                )
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


def _error(code: str, message: str) -> Json:
    return {"error": {"code": code, "message": message}}


def _page(ordered: list[Json], key: str, stamp: str, query: dict[str, str], limit: int) -> Json:
    """One page newest first: items older than ``until``, and the next page's ``until``."""
    if "until" in query:
        ordered = [item for item in ordered if item[stamp] < int(query["until"])]
    page = ordered[:limit]
    more = len(ordered) > limit
    return {
        key: copy.deepcopy(page),
        "pagination": {
            "count": len(page),
            "next": page[-1][stamp] if more and page else None,
            "prev": page[0][stamp] if page else None,
        },
    }


# -- a team's worth of data ----------------------------------------------------------------

STRIPE_VALUE = "sk_live_51HacmeCheckoutValue0000000001"
DATABASE_VALUE = "postgres://checkout:db-pass-Zq81x@db.acme.internal:5432/checkout"
API_URL_PREVIEW_VALUE = "https://api-preview.acme-internal.dev/v1-value"
API_URL_PRODUCTION_VALUE = "https://api.acme-internal.dev/v1-value"
PLAIN_VALUE = "plain-text-value-shown-by-the-api-7731"
"""Returned as is by the API (a ``plain`` variable): the connector must still drop it."""

LOG_SECRETS = (
    "ghp_AcmeLeakedToken1234567890abcdefABCD",
    "hunter2-Registry-Pass",
    "vercel-bearer-credential-4f9a8b7c",
    "AKIAACMELEAKED123456",
)
"""Secrets that failed builds print (bare tokens, a password in a URL, a bearer
credential); redaction must remove every one before anything is stored."""

ENV_VALUES = (
    STRIPE_VALUE,
    DATABASE_VALUE,
    API_URL_PREVIEW_VALUE,
    API_URL_PRODUCTION_VALUE,
    PLAIN_VALUE,
)


def failing_log(n: int) -> list[tuple[str, str]]:
    """A Next.js build that cannot resolve a module, printing secrets on its way."""
    return [
        ("command", 'Running "vercel build"'),
        ("stdout", "Vercel CLI 39.1.0"),
        ("stdout", "Installing dependencies..."),
        ("stdout", f"STRIPE_SECRET_KEY={STRIPE_VALUE}"),
        ("stdout", f"export NEXT_PUBLIC_API_URL={API_URL_PREVIEW_VALUE}"),
        ("stderr", "warn  - You have enabled experimental feature (serverActions)."),
        ("stdout", "Creating an optimized production build ..."),
        ("stderr", "Failed to compile."),
        ("stderr", f"./app/checkout/step-{n}/page.tsx"),
        ("stderr", "Module not found: Can't resolve '@/lib/stripe-client'"),
        ("stderr", f"DATABASE_URL: {DATABASE_VALUE}"),
        ("stderr", f"npm ERR! fetch https://deploy:{LOG_SECRETS[1]}@registry.acme.dev/pkg failed"),
        ("stderr", f"git clone using {LOG_SECRETS[0]}"),
        ("stderr", f"Authorization: Bearer {LOG_SECRETS[2]}"),
        ("stderr", f"aws sts assumed {LOG_SECRETS[3]}"),
        ("stderr", "> Build failed because of webpack errors"),
        ("stderr", 'Error: Command "npm run build" exited with 1'),
    ]


def passing_log(n: int) -> list[tuple[str, str]]:
    return [
        ("command", 'Running "vercel build"'),
        ("stdout", "Installing dependencies..."),
        ("stdout", f"added {100 + n % 50} packages in 4s"),
        ("stdout", "Creating an optimized production build ..."),
        ("stderr", "warn  - Using edge runtime on a page currently disables static generation"),
        ("stdout", "Compiled successfully"),
        ("stdout", "Build Completed in /vercel/output"),
    ]


@dataclass
class TeamData:
    """What ``populate`` made: projects by name and deployment uids by project name."""

    projects: dict[str, Json]
    deployments: dict[str, list[str]]


def populate(
    fake: FakeVercel, sizes: dict[str, int], *, seed: int = 15, building: bool = False
) -> TeamData:
    """Projects named by ``sizes`` with that many deployments each, oldest first: one in
    three to production, every 7th failed (with ``failing_log``), every 11th canceled,
    build durations drawn from ``seed`` and growing over time; with ``building``, each
    project's newest deployment is still building."""
    import random

    rng = random.Random(seed)
    data = TeamData({}, {})
    for name in sizes:
        project = fake.add_project(name, repo=f"acme/{name}")
        data.projects[name] = project
        fake.add_env(project, "STRIPE_SECRET_KEY", STRIPE_VALUE, ["production", "preview"])
        fake.add_env(project, "DATABASE_URL", DATABASE_VALUE, ["production"])
        fake.add_env(
            project, "NEXT_PUBLIC_API_URL", API_URL_PREVIEW_VALUE, ["preview", "development"]
        )
        fake.add_env(project, "NEXT_PUBLIC_API_URL", API_URL_PRODUCTION_VALUE, ["production"])
        fake.add_env(project, "FEATURE_FLAGS", PLAIN_VALUE, ["preview"], kind="plain")
    for name, size in sizes.items():
        project = data.projects[name]
        uids = data.deployments.setdefault(name, [])
        for n in range(size):
            state = "ERROR" if n % 7 == 3 else "CANCELED" if n % 11 == 5 else "READY"
            if building and n == size - 1:
                state = "BUILDING"
            sha = hashlib.sha1(f"{name}-{n}".encode()).hexdigest()
            item = fake.add_deployment(
                project,
                state=state,
                target="production" if n % 3 == 0 else None,
                build_ms=rng.randint(40_000, 90_000) + 300 * n,
                sha=sha,
                message=f"{name}: change {n}",
                ref="main" if n % 3 == 0 else f"feature-{n}",
                log=failing_log(n) if state == "ERROR" else passing_log(n),
                creator=("ada", "grace", "linus")[n % 3],
            )
            uids.append(item["uid"])
    return data
