"""Rate limits, retries and errors of the Slack client, against the fake."""

from __future__ import annotations

from typing import Any

import pytest

from sourcesync.connectors.errors import SourceUnavailableError
from sourcesync.connectors.slack.client import SlackClient
from sourcesync.connectors.slack.rate_limits import TokenLimiter, limiter_for
from sourcesync.connectors.slack.settings import SlackSettings
from tests.fakes.slack import FakeSlack

from .conftest import FAST, TOKEN_ENV, SourceFactory
from .test_source import run


def client(slack: FakeSlack, **options: Any) -> SlackClient:
    settings = SlackSettings(api_url=slack.api_url, token_env=TOKEN_ENV, per_minute=FAST, **options)
    return SlackClient(settings, server_error_backoff_s=0.0)


def record_sleeps(limiter: TokenLimiter) -> list[float]:
    sleeps: list[float] = []
    limiter._sleep = sleeps.append  # type: ignore[method-assign]
    return sleeps


def test_a_429_waits_its_retry_after_then_succeeds(slack: FakeSlack) -> None:
    slack_client = client(slack)
    sleeps = record_sleeps(slack_client.limiter)
    slack.fail_next("auth.test", 429, retry_after="7")
    assert slack_client.call("auth.test")["team"] == "Lighthouse Keepers"
    assert slack.count("auth.test") == 2
    assert sleeps and 6.9 < max(sleeps) <= 7.0


def test_clients_of_one_token_share_a_limiter_and_its_pauses(slack: FakeSlack) -> None:
    first, second = client(slack), client(slack)
    assert first.limiter is second.limiter
    sleeps = record_sleeps(first.limiter)
    slack.fail_next("auth.test", 429, retry_after="30")
    first.call("auth.test")
    sleeps.clear()
    second.call("users.list")  # another method, another client: held back by the pause too
    assert sleeps and max(sleeps) > 25


def test_a_limiter_keeps_each_tier_under_its_rate_per_minute() -> None:
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    limiter = TokenLimiter({2: 3, 3: 50}, clock=lambda: now[0], sleep=sleep)
    waits = [limiter.acquire("users.list") for _ in range(4)]
    assert waits[:3] == [0, 0, 0] and waits[3] == pytest.approx(60)
    assert limiter.acquire("conversations.history") == 0  # another tier is not held back
    limiter.pause(10)
    assert limiter.acquire("conversations.history") == pytest.approx(10)


def test_rate_limits_never_fail_a_sync(
    slack: FakeSlack, workspace: dict[str, Any], make_source: SourceFactory
) -> None:
    expected, _, _ = run(make_source(), None)
    slack.rate_limit_every = 3
    calls_before = len(slack.calls)
    documents, _, _ = run(make_source(), None)
    assert {n: d.content_hash for n, d in documents.items()} == {
        n: d.content_hash for n, d in expected.items()
    }
    refused = (len(slack.calls) - calls_before) // 3
    assert refused >= 9


def test_rate_limits_past_the_retries_ask_the_core_to_come_back_later(slack: FakeSlack) -> None:
    slack_client = client(slack, rate_limit_retries=2)
    record_sleeps(slack_client.limiter)
    slack.fail_next("auth.test", 429, retry_after="42", times=3)
    with pytest.raises(SourceUnavailableError, match="rate limit") as error:
        slack_client.call("auth.test")
    assert error.value.retry_after_s == 42


def test_server_errors_are_retried_then_reported_as_unavailable(slack: FakeSlack) -> None:
    slack_client = client(slack)
    record_sleeps(slack_client.limiter)
    slack.fail_next(None, 503, times=2)
    assert slack_client.call("auth.test")["ok"] is True
    slack.fail_next(None, 502, times=10)
    with pytest.raises(SourceUnavailableError, match="Slack error"):
        slack_client.call("auth.test")


def test_the_registry_holds_no_token_in_the_clear() -> None:
    from sourcesync.connectors.slack import rate_limits

    limiter_for("http://slack.test/api/", "xoxb-very-secret", FAST)
    assert not any("xoxb-very-secret" in key for key in rate_limits._LIMITERS)
