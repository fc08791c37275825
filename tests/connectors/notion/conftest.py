"""A fake Notion with the seeded lighthouse workspace, and sources aimed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from sourcesync.connectors.notion.rate_limits import set_limit
from sourcesync.connectors.notion.settings import NotionSettings
from sourcesync.connectors.notion.source import NotionSource
from tests.fakes.notion import FakeNotion, Workspace, seed_workspace

TOKEN_ENV = "SOURCESYNC_TEST_NOTION_TOKEN"

OpenSource = Callable[..., NotionSource]


@pytest.fixture
def notion(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeNotion]:
    with FakeNotion() as fake:
        monkeypatch.setenv(TOKEN_ENV, fake.token)
        set_limit(fake.url, fake.token, rate=0)
        yield fake


@pytest.fixture
def workspace(notion: FakeNotion) -> Workspace:
    return seed_workspace(notion, rows=250)


@pytest.fixture
def open_source(notion: FakeNotion) -> Iterator[OpenSource]:
    opened: list[NotionSource] = []

    def open_(roots: tuple[str, ...] = (), **settings: object) -> NotionSource:
        options: dict[str, object] = {"api_url": notion.url, "token_env": TOKEN_ENV}
        source = NotionSource(
            workspace_id="ws_test",
            source_id="src_test",
            settings=NotionSettings(**(options | settings)),  # type: ignore[arg-type]
            roots=roots,
        )
        opened.append(source)
        return source

    yield open_
    for source in opened:
        source.close()
