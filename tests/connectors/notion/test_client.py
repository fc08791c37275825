"""The client's rate limit, retries and error sorting, against the fake."""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from datetime import timedelta

import pytest

from sourcesync.connectors.errors import SourceConfigError, SourceUnavailableError
from sourcesync.connectors.notion.client import NotionClient
from sourcesync.connectors.notion.rate_limits import RateLimiter, limiter_for, set_limit
from sourcesync.connectors.notion.settings import NotionSettings
from tests.fakes.notion import FakeNotion

from .conftest import TOKEN_ENV


def _client(notion: FakeNotion, **settings: object) -> NotionClient:
    options: dict[str, object] = {
        "api_url": notion.url,
        "token_env": TOKEN_ENV,
        "backoff_s": 0.01,
        "max_retries": 3,
    }
    return NotionClient(NotionSettings(**(options | settings)))  # type: ignore[arg-type]


async def _search(client: NotionClient) -> dict[str, object]:
    try:
        return await client.search("page", None)
    finally:
        await client.aclose()


def test_a_429_is_waited_out_and_retried(notion: FakeNotion) -> None:
    notion.fail_next(429, times=2, retry_after="0")
    client = _client(notion)
    assert asyncio.run(_search(client))["object"] == "list"
    assert client.transport.retries == 2
    assert len(notion.requests) == 3


def test_5xx_on_a_search_is_retried_with_backoff(notion: FakeNotion) -> None:
    notion.fail_next(503, times=2)
    client = _client(notion)
    assert asyncio.run(_search(client))["object"] == "list"
    assert client.transport.retries == 2


def test_exhausted_retries_are_unavailable_with_notions_wait(notion: FakeNotion) -> None:
    notion.fail_next(429, times=5, retry_after="0")
    client = _client(notion, max_rate_limited=2)
    with pytest.raises(SourceUnavailableError) as raised:
        asyncio.run(_search(client))
    assert raised.value.retry_after_s == 0


def test_5xx_retries_run_out_sooner_than_rate_limit_waits(notion: FakeNotion) -> None:
    notion.fail_next(500, times=3)
    with pytest.raises(SourceUnavailableError, match="HTTP 500"):
        asyncio.run(_search(_client(notion, max_retries=2)))


def test_a_rejected_token_names_its_variable(
    notion: FakeNotion, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "ntn_wrong")
    with pytest.raises(SourceConfigError, match=TOKEN_ENV):
        asyncio.run(_search(_client(notion)))


def test_a_missing_token_names_its_variable(
    notion: FakeNotion, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TOKEN_ENV)
    with pytest.raises(SourceConfigError, match=TOKEN_ENV):
        _client(notion)


def test_one_limiter_per_token_is_shared_by_every_client(notion: FakeNotion) -> None:
    first, second = _client(notion), _client(notion)
    assert first.transport.limiter is second.transport.limiter
    assert limiter_for(notion.url, "another-token", 3, 1) is not first.transport.limiter


def test_the_limiter_spaces_requests_at_the_rate_after_a_burst() -> None:
    limiter = RateLimiter(rate=3, burst=2)
    waits = [limiter.reserve() for _ in range(5)]
    assert waits[0] == pytest.approx(0, abs=0.01)
    assert waits[1] == pytest.approx(0, abs=0.01)
    assert [round(b - a, 2) for a, b in itertools.pairwise(waits[1:])] == [
        0.33,
        0.33,
        0.33,
    ]


def test_a_429_pauses_every_holder_of_the_token() -> None:
    limiter = RateLimiter(rate=0)
    limiter.pause(timedelta(seconds=5).total_seconds())
    assert limiter.reserve() == pytest.approx(5, abs=0.1)


def test_concurrent_syncs_of_one_token_keep_notions_pace(notion: FakeNotion) -> None:
    # Two syncs, each on its own thread and loop as the core runs them, share 3 requests
    # a second (burst 3): 9 requests take about 2 s, whoever sends them.
    set_limit(notion.url, notion.token, rate=3, burst=3)

    def sync(requests: int) -> None:
        async def run() -> None:
            client = _client(notion)
            try:
                for _ in range(requests):
                    await client.me()
            finally:
                await client.aclose()

        asyncio.run(run())

    start = time.monotonic()
    threads = [threading.Thread(target=sync, args=(n,)) for n in (4, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - start >= 1.9
    assert len(notion.requests) == 9


def test_clients_add_no_log_handlers(notion: FakeNotion) -> None:
    logger = logging.getLogger("notion_client")
    before = list(logger.handlers)
    for _ in range(3):
        asyncio.run(_search(_client(notion)))
    assert logger.handlers == before
