"""Fixtures for the Vercel connector's tests: the fake, and sources aimed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sourcesync.connectors.vercel.client import VercelClient
from sourcesync.connectors.vercel.settings import VercelSettings
from sourcesync.connectors.vercel.source import VercelSource
from tests.fakes.vercel import FakeVercel

TOKEN_ENV = "SOURCESYNC_TEST_VERCEL_TOKEN"


@pytest.fixture
def vercel(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeVercel]:
    with FakeVercel() as fake:
        monkeypatch.setenv(TOKEN_ENV, fake.token)
        yield fake


class Sleeps(list[float]):
    """Records the waits a client asks for, without waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


SourceFactory = Callable[..., VercelSource]


@pytest.fixture
def make_source(vercel: FakeVercel, sleeps: Sleeps) -> Iterator[SourceFactory]:
    opened: list[VercelSource] = []

    def make(*, team: str | None = "acme", page_size: int = 100, **options: Any) -> VercelSource:
        settings = VercelSettings(
            api_url=vercel.url, token_env=TOKEN_ENV, team=team, page_size=page_size
        )
        client = VercelClient(settings, sleep=sleeps, clock=lambda: 1_000_000.0)
        source = VercelSource(
            workspace_id="ws_test",
            source_id="src_test",
            settings=settings,
            client=client,
            **options,
        )
        opened.append(source)
        return source

    yield make
    for source in opened:
        source.close()
