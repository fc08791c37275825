from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from sourcesync.connectors.linear.settings import LinearSettings
from sourcesync.connectors.linear.source import LinearSource
from tests.fakes.linear import FakeLinear, Node

TOKEN_ENV = "SOURCESYNC_TEST_LINEAR_KEY"


@dataclass
class Workspace:
    """Handles on the fixture data, by role."""

    alice: Node
    bob: Node
    eng: Node
    des: Node
    search: Node
    brand: Node
    old_project: Node
    parent: Node
    children: list[Node]
    chatty: Node
    blocker: Node
    blocked: Node
    related_a: Node
    related_b: Node
    archived: Node
    design_issues: list[Node]

    @property
    def live_issues(self) -> list[Node]:
        return [
            self.parent,
            *self.children,
            self.chatty,
            self.blocker,
            self.blocked,
            self.related_a,
            self.related_b,
            *self.design_issues,
        ]

    @property
    def live_projects(self) -> list[Node]:
        return [self.search, self.brand]


def populate(linear: FakeLinear) -> Workspace:
    """Two teams, three projects (one archived) and issues that exercise every nested
    connection past its first page: 26 sub-issues (first: 25) and 53 comments (first: 50).
    Each item is created a minute after the previous one."""
    step = timedelta(minutes=1)
    alice = linear.add_user("Alice")
    bob = linear.add_user("Bob")
    eng = linear.add_team("ENG", "Engineering")
    des = linear.add_team("DES", "Design")
    bug, backend = linear.add_label("bug"), linear.add_label("backend")
    cycle = linear.add_cycle(eng, 3)
    search = linear.add_project(
        "Search revamp",
        teams=[eng],
        lead=alice,
        description="Faster search",
        content="## Goals\n\nSub-second search.",
        target_date="2024-06-30",
    )
    brand = linear.add_project("Brand refresh", teams=[des], lead=bob, status="planned")
    old_project = linear.add_project("Old plan", teams=[eng])
    linear.archive_project(old_project["id"])
    linear.tick(step)
    parent = linear.add_issue(
        eng,
        "Ship search",
        description="The **whole** search project.",
        state="started",
        priority=2,
        assignee=alice,
        creator=bob,
        project=search,
        cycle=cycle,
        labels=[bug, backend],
    )
    children = []
    for n in range(26):
        linear.tick(step)
        children.append(linear.add_issue(eng, f"Search step {n}", parent=parent, project=search))
    linear.tick(step)
    chatty = linear.add_issue(eng, "Long discussion", assignee=bob)
    for n in range(53):
        linear.add_comment(chatty, alice if n % 2 == 0 else bob, f"comment number {n}")
        linear.tick(timedelta(seconds=1))
    linear.add_comment(chatty, None, "posted by a bot", botActorId=None)
    linear.tick(step)
    blocker = linear.add_issue(eng, "Upgrade the index")
    blocked = linear.add_issue(eng, "Use the new index")
    linear.add_relation(blocker, blocked, "blocks")
    linear.tick(step)
    related_a = linear.add_issue(eng, "Tokenizer")
    related_b = linear.add_issue(eng, "Stemmer")
    linear.add_relation(related_a, related_b, "related")
    archived = linear.add_issue(eng, "Abandoned idea")
    linear.archive_issue(archived["id"])
    design_issues = []
    for n in range(5):
        linear.tick(step)
        design_issues.append(linear.add_issue(des, f"Logo variant {n}", project=brand))
    linear.tick(step)
    return Workspace(
        alice,
        bob,
        eng,
        des,
        search,
        brand,
        old_project,
        parent,
        children,
        chatty,
        blocker,
        blocked,
        related_a,
        related_b,
        archived,
        design_issues,
    )


@pytest.fixture
def linear() -> Iterator[FakeLinear]:
    with FakeLinear() as fake:
        yield fake


@pytest.fixture
def workspace(linear: FakeLinear) -> Workspace:
    return populate(linear)


@pytest.fixture
def settings(linear: FakeLinear, monkeypatch: pytest.MonkeyPatch) -> LinearSettings:
    monkeypatch.setenv(TOKEN_ENV, linear.api_key)
    # Small pages, so that a workspace of forty issues pages several times at every level.
    return LinearSettings(
        api_url=linear.url,
        token_env=TOKEN_ENV,
        id_page_size=7,
        batch_size=4,
        nested_page_size=3,
        overlap=timedelta(0),
    )


@pytest.fixture
def source(settings: LinearSettings, workspace: Workspace) -> Iterator[LinearSource]:
    with LinearSource(workspace_id="ws", source_id="src-linear", settings=settings) as source:
        yield source
