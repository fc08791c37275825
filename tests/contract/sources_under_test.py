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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

import pytest

from sourcesync.connectors.git.transform import git_file_id
from sourcesync.connectors.github.transform import github_file_id
from sourcesync.connectors.linear.ids import linear_issue_id
from sourcesync.connectors.notion.ids import notion_data_source_id, notion_page_id
from sourcesync.connectors.notion.rate_limits import set_limit
from sourcesync.connectors.slack.ids import slack_day_id, slack_thread_id
from sourcesync.connectors.slack.webhooks import sign
from sourcesync.connectors.vercel import (
    vercel_build_log_id,
    vercel_deployment_id,
    vercel_project_id,
)
from tests.fakes.feeds import FakeFeed
from tests.fakes.github import FakeGitHub, GitRepo
from tests.fakes.linear import FakeLinear
from tests.fakes.notion import FakeNotion, Workspace, seed_workspace
from tests.fakes.slack import FakeSlack
from tests.fakes.vercel import FakeVercel, failing_log, passing_log
from tests.fakes.vercel import sign as vercel_sign

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


@dataclass
class _NotionData:
    fake: FakeNotion
    workspace: Workspace


@dataclass(frozen=True)
class NotionUnderTest:
    type: str = "notion"
    credential_env: str | None = TOKEN_ENV
    deletes: bool = True

    @contextlib.contextmanager
    def start(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
        with FakeNotion() as notion:
            monkeypatch.setenv(TOKEN_ENV, notion.token)
            # The fake has no rate limit: don't wait 1/3 s between requests.
            set_limit(notion.url, notion.token, rate=0)
            workspace = seed_workspace(notion, rows=3)
            names = {notion_page_id(i) for i in workspace.pages}
            names |= {notion_data_source_id(i) for i in workspace.data_sources}
            yield Running(
                {"notion_api_url": notion.url},
                {"token_env": TOKEN_ENV, "webhook_secret_env": SECRET_ENV},
                names,
                state=_NotionData(notion, workspace),
            )

    def change(self, running: Running) -> str:
        fake, workspace = running.state.fake, running.state.workspace
        fake.tick()
        fake.append_paragraph(workspace.private, "The spare key moved to the lamp room.")
        fake.tick()
        return notion_page_id(workspace.private)

    def delete(self, running: Running) -> str:
        fake, workspace = running.state.fake, running.state.workspace
        fake.tick()
        fake.trash(workspace.rows[0])
        fake.tick()
        return notion_page_id(workspace.rows[0])

    def delivery(self, running: Running, secret: str) -> Delivery | None:
        page = running.state.workspace.handbook
        body = json.dumps(
            {
                "id": f"event-{time.monotonic_ns()}",
                "timestamp": "2025-09-10T08:00:00.000Z",
                "workspace_id": "13950b26-c203-4f3b-b97d-93ec06319565",
                "subscription_id": "29d75c0d-5546-4414-8459-7b7a92f1fc4b",
                "integration_id": "0ef2e755-4cc1-4d1b-8b5b-8b1e2b4d9e11",
                "type": "page.content_updated",
                "authors": [{"id": "2200a911-6a96-44bb-bd38-6bfb1e01b9f6", "type": "person"}],
                "entity": {"id": page, "type": "page"},
                "data": {"parent": {"id": page, "type": "space"}, "updated_blocks": []},
            }
        ).encode()
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return Delivery({"X-Notion-Signature": signature}, body)


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
class _SlackData:
    fake: FakeSlack
    channel: str
    thread: str
    reply: str
    storm: str


@dataclass(frozen=True)
class SlackUnderTest:
    """One channel: a day of chatter, then a day with a thread and one message of its own."""

    type: str = "slack"
    credential_env: str | None = TOKEN_ENV
    deletes: bool = True

    @contextlib.contextmanager
    def start(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
        with FakeSlack() as slack:
            monkeypatch.setenv(TOKEN_ENV, slack.token)
            slack.add_user("U0KEEPER", "keeper", display_name="Keeper")
            channel = slack.add_channel("lighthouse", members=["U0KEEPER"])
            slack.post(channel, "U0KEEPER", "The keeper logs every passing ship in the ledger.")
            slack.post(channel, "U0KEEPER", "Fog horns sound every thirty seconds.")
            slack.tick(24 * 3600)
            thread = slack.post(channel, "U0KEEPER", "How often is the lamp trimmed?")
            reply = slack.post(channel, "U0KEEPER", "Every hour during storms.", thread_ts=thread)
            storm = slack.post(channel, "U0KEEPER", "Storm shutters are closed at dusk.")
            data = _SlackData(slack, channel, thread, reply, storm)
            days = sorted({_day(ts) for ts in slack.messages[channel] if ts not in (thread, reply)})
            yield Running(
                {"slack_api_url": slack.api_url},
                {"token_env": TOKEN_ENV, "signing_secret_env": SECRET_ENV},
                {slack_thread_id(channel, thread)} | {slack_day_id(channel, d) for d in days},
                state=data,
            )

    def change(self, running: Running) -> str:
        data: _SlackData = running.state
        data.fake.tick()
        data.fake.edit(data.channel, data.reply, "Every hour, and by radio in storms.")
        return slack_thread_id(data.channel, data.thread)

    def delete(self, running: Running) -> str:
        data: _SlackData = running.state
        data.fake.tick()
        data.fake.delete(data.channel, data.storm)
        return slack_day_id(data.channel, _day(data.storm))

    def delivery(self, running: Running, secret: str) -> Delivery | None:
        data: _SlackData = running.state
        body = data.fake.event_for(
            {
                "type": "message",
                "channel": data.channel,
                "user": "U0KEEPER",
                "text": "hi",
                "ts": "1.000001",
            }
        )
        stamp = str(int(time.time()))
        return Delivery(
            {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": sign(secret, stamp, body)},
            body,
        )


def _day(ts: str) -> date:
    return datetime.fromtimestamp(float(ts), UTC).date()


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
        return Delivery({"x-vercel-signature": vercel_sign(secret, body)}, body)


SOURCES: list[SourceUnderTest] = [
    GitUnderTest(),
    GitHubUnderTest(),
    LinearUnderTest(),
    NotionUnderTest(),
    FeedUnderTest(),
    SlackUnderTest(),
    VercelUnderTest(),
]
