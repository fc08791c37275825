"""The contract suite's table: each source with its loopback fake.

A new source joins the suite by adding a ``SourceUnderTest`` here: how to start its fake,
the configuration that reads it, and how to change, delete, break credentials and sign a
webhook delivery on the fake.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest

from sourcesync.connectors.git import git_file_id
from sourcesync.connectors.github import github_file_id
from sourcesync.connectors.linear import linear_issue_id
from sourcesync.connectors.vercel import (
    vercel_build_log_id,
    vercel_deployment_id,
    vercel_project_id,
)
from tests.fakes.feeds import FakeFeed
from tests.fakes.github import FakeGitHub, GitRepo
from tests.fakes.linear import FakeLinear
from tests.fakes.vercel import FakeVercel, failing_log, passing_log, sign

SECRET = "contract-webhook-secret"
SECRET_ENV = "SOURCESYNC_CONTRACT_SECRET"
TOKEN_ENV = "SOURCESYNC_CONTRACT_TOKEN"
SOURCE_NAME = "under-test"

FILES = {
    "README.md": "# Lighthouse\n\nThe keeper logs every passing ship in the ledger.\n",
    "keeper.py": "def log_ship(name):\n    return f'ship {name} passed'\n",
    "docs/storms.md": "# Storms\n\nDuring a storm the lamp is trimmed every hour.\n",
}


@dataclass
class Running:
    """A started fake: the settings and the configuration that aim a source at it."""

    settings: dict[str, Any]
    config: dict[str, Any]
    names: set[str]
    """Names (``Document.id``) of the documents a full sync stores."""
    state: Any = None


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]
    body: bytes


class SourceUnderTest(Protocol):
    type: str
    credential_env: str | None
    deletes: bool

    def start(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]: ...

    def change(self, running: Running) -> str:
        """Change one item; return its document's name."""
        ...

    def delete(self, running: Running) -> str:
        """Delete one item; return its document's name."""
        ...

    def delivery(self, running: Running, secret: str) -> Delivery | None:
        """A webhook delivery signed with ``secret`` (None: the source has no webhooks)."""
        ...


def _repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "lighthouse")
    repo.write(dict(FILES))
    repo.commit("initial")
    return repo


@dataclass(frozen=True)
class GitUnderTest:
    type: str = "git"
    credential_env: str | None = None
    deletes: bool = True

    @contextlib.contextmanager
    def start(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
        repo = _repo(tmp_path)
        names = {git_file_id(SOURCE_NAME, path) for path in FILES}
        yield Running({}, {"path": str(repo.path)}, names, state=repo)

    def change(self, running: Running) -> str:
        running.state.write({"README.md": "# Lighthouse\n\nThe keeper now logs by radio.\n"})
        running.state.commit("radio")
        return git_file_id(SOURCE_NAME, "README.md")

    def delete(self, running: Running) -> str:
        running.state.remove("docs/storms.md")
        running.state.commit("no storms")
        return git_file_id(SOURCE_NAME, "docs/storms.md")

    def delivery(self, running: Running, secret: str) -> Delivery | None:
        return None


@dataclass(frozen=True)
class GitHubUnderTest:
    type: str = "github"
    credential_env: str | None = TOKEN_ENV
    deletes: bool = True

    @contextlib.contextmanager
    def start(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
        repo = _repo(tmp_path)
        monkeypatch.setenv(TOKEN_ENV, "ghp_contract0123456789")
        with FakeGitHub(repo, token="ghp_contract0123456789") as github:
            yield Running(
                {"github_api_url": github.api_url, "github_raw_url": github.raw_url},
                {
                    "repository": "octo/widgets",
                    "token_env": TOKEN_ENV,
                    "webhook_secret_env": SECRET_ENV,
                },
                {github_file_id("octo", "widgets", path) for path in FILES},
                state=repo,
            )

    def change(self, running: Running) -> str:
        GitUnderTest().change(running)
        return github_file_id("octo", "widgets", "README.md")

    def delete(self, running: Running) -> str:
        GitUnderTest().delete(running)
        return github_file_id("octo", "widgets", "docs/storms.md")

    def delivery(self, running: Running, secret: str) -> Delivery | None:
        body = json.dumps(
            {
                "ref": "refs/heads/main",
                "before": "0" * 40,
                "after": running.state.git("rev-parse", "HEAD"),
                "repository": {"full_name": "octo/widgets"},
            }
        ).encode()
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers = {
            "X-Hub-Signature-256": signature,
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": f"delivery-{time.monotonic_ns()}",
        }
        return Delivery(headers, body)


@dataclass
class _LinearData:
    fake: FakeLinear
    issues: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LinearUnderTest:
    type: str = "linear"
    credential_env: str | None = TOKEN_ENV
    deletes: bool = True

    @contextlib.contextmanager
    def start(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
        with FakeLinear() as linear:
            monkeypatch.setenv(TOKEN_ENV, linear.api_key)
            linear.add_user("Keeper")
            team = linear.add_team("ENG", "Engineering")
            data = _LinearData(linear)
            for title in ("Trim the lamp hourly", "Log passing ships", "Storm shutters"):
                linear.tick()
                data.issues[title] = linear.add_issue(team, title)
            linear.tick()
            yield Running(
                {"linear_api_url": linear.url},
                {"token_env": TOKEN_ENV, "webhook_secret_env": SECRET_ENV},
                {linear_issue_id(str(i["id"])) for i in data.issues.values()},
                state=data,
            )

    def change(self, running: Running) -> str:
        issue = running.state.issues["Log passing ships"]
        running.state.fake.tick()
        running.state.fake.update_issue(str(issue["id"]), title="Log ships by radio")
        running.state.fake.tick()
        return linear_issue_id(str(issue["id"]))

    def delete(self, running: Running) -> str:
        issue = running.state.issues["Storm shutters"]
        running.state.fake.tick()
        running.state.fake.archive_issue(str(issue["id"]))
        running.state.fake.tick()
        return linear_issue_id(str(issue["id"]))

    def delivery(self, running: Running, secret: str) -> Delivery | None:
        issue = running.state.issues["Trim the lamp hourly"]
        body = json.dumps(
            {
                "action": "update",
                "type": "Issue",
                "data": {"id": issue["id"]},
                "webhookTimestamp": int(time.time() * 1000),
            }
        ).encode()
        signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return Delivery({"Linear-Signature": signature}, body)


@dataclass(frozen=True)
class FeedUnderTest:
    """The example source (examples/feed_source), installed through its entry point."""

    type: str = "feed"
    credential_env: str | None = None
    deletes: bool = False  # a feed lists only its latest entries: nothing is ever pruned

    @contextlib.contextmanager
    def start(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
        with FakeFeed() as feed:
            for key, text in (
                ("lamp", "The lamp is trimmed every hour during storms."),
                ("ships", "The keeper logs every passing ship in the ledger."),
                ("fog", "Fog horns sound every thirty seconds."),
            ):
                feed.add(f"urn:entry:{key}", key.title(), text)
            from sourcesync_feeds.spec import entry_name

            names = {entry_name(entry.id) for entry in feed.entries}
            yield Running({}, {"url": feed.url}, names, state=feed)

    def change(self, running: Running) -> str:
        from sourcesync_feeds.spec import entry_name

        running.state.edit("urn:entry:ships", "The keeper now logs ships by radio.")
        return entry_name("urn:entry:ships")

    def delete(self, running: Running) -> str:
        raise NotImplementedError("feeds do not delete entries")

    def delivery(self, running: Running, secret: str) -> Delivery | None:
        return None


@dataclass
class _VercelData:
    fake: FakeVercel
    project: dict[str, Any]
    building: str


@dataclass(frozen=True)
class VercelUnderTest:
    """One project with a finished, a failed and a still-building deployment: a change is
    a new env var (the project's document), a deletion the building deployment."""

    type: str = "vercel"
    credential_env: str | None = TOKEN_ENV
    deletes: bool = True

    @contextlib.contextmanager
    def start(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
        with FakeVercel() as vercel:
            monkeypatch.setenv(TOKEN_ENV, vercel.token)
            project = vercel.add_project("lighthouse", repo="octo/lighthouse")
            vercel.add_env(project, "LAMP_API_KEY", "lamp-value-0001", ["production"])
            ready = vercel.add_deployment(project, sha="a" * 40, log=passing_log(1))
            failed = vercel.add_deployment(project, state="ERROR", sha="b" * 40, log=failing_log(2))
            building = vercel.add_deployment(project, state="BUILDING", target=None, sha="c" * 40)
            names = {
                vercel_project_id(project["id"]),
                *(vercel_deployment_id(d["uid"]) for d in (ready, failed, building)),
                *(vercel_build_log_id(d["uid"]) for d in (ready, failed)),
            }
            yield Running(
                {"vercel_api_url": vercel.url},
                {"token_env": TOKEN_ENV, "team": "acme", "webhook_secret_env": SECRET_ENV},
                names,
                state=_VercelData(vercel, project, building["uid"]),
            )

    def change(self, running: Running) -> str:
        data: _VercelData = running.state
        data.fake.add_env(data.project, "FOG_HORN_INTERVAL", "30s", ["preview"])
        return vercel_project_id(data.project["id"])

    def delete(self, running: Running) -> str:
        data: _VercelData = running.state
        data.fake.delete_deployment(data.building)
        return vercel_deployment_id(data.building)

    def delivery(self, running: Running, secret: str) -> Delivery | None:
        data: _VercelData = running.state
        body = json.dumps(
            {
                "id": f"uev_{time.monotonic_ns()}",
                "type": "deployment.created",
                "createdAt": int(time.time() * 1000),
                "payload": {
                    "team": {"id": data.fake.team_id},
                    "deployment": {"id": data.building},
                    "project": {"id": data.project["id"]},
                },
            }
        ).encode()
        return Delivery({"x-vercel-signature": sign(secret, body)}, body)


SOURCES: list[SourceUnderTest] = [
    GitUnderTest(),
    GitHubUnderTest(),
    LinearUnderTest(),
    FeedUnderTest(),
    VercelUnderTest(),
]
