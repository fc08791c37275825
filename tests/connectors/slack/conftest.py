"""A fake Slack per test, and sources aimed at it with rate limits that never slow a test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sourcesync.connectors.slack.settings import SlackSettings
from sourcesync.connectors.slack.source import SlackSource
from tests.fakes.slack import FakeSlack, build_workspace

TOKEN_ENV = "SOURCESYNC_TEST_SLACK_TOKEN"
FAST = {1: 10_000, 2: 10_000, 3: 10_000, 4: 10_000}

SourceFactory = Callable[..., SlackSource]


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        monkeypatch.setenv(TOKEN_ENV, fake.token)
        yield fake


@pytest.fixture
def workspace(slack: FakeSlack) -> dict[str, Any]:
    return build_workspace(slack)


@pytest.fixture
def make_source(slack: FakeSlack) -> Iterator[SourceFactory]:
    opened: list[SlackSource] = []

    def make(**options: Any) -> SlackSource:
        source_options = {
            key: options.pop(key) for key in ("channels", "private") if key in options
        }
        settings = SlackSettings(
            api_url=slack.api_url, token_env=TOKEN_ENV, per_minute=FAST, **options
        )
        source = SlackSource(
            workspace_id="ws_test", source_id="src_test", settings=settings, **source_options
        )
        opened.append(source)
        return source

    yield make
    for source in opened:
        source.close()
