"""The client: tokens, team scoping, rate limits and retries."""

from __future__ import annotations

import pytest

from sourcesync.connectors.errors import SourceConfigError, SourceUnavailableError
from sourcesync.connectors.vercel.errors import VercelNotFoundError
from tests.fakes.vercel import FakeVercel

from .conftest import TOKEN_ENV, Sleeps, SourceFactory


def test_requests_carry_the_token_and_the_team(
    vercel: FakeVercel, make_source: SourceFactory
) -> None:
    vercel.add_project("checkout")
    make_source(team="team_a1b2c3d4e5f6g7h8i9j0k1l2").client.get("/v10/projects", what="projects")
    [request] = vercel.requests
    assert request.authorization == f"Bearer {vercel.token}"
    assert request.query["teamId"] == "team_a1b2c3d4e5f6g7h8i9j0k1l2"
    make_source(team="acme").client.get("/v10/projects", what="projects")
    assert vercel.requests[-1].query["slug"] == "acme"


def test_a_bad_token_names_the_variable(
    vercel: FakeVercel, make_source: SourceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "not-the-token")
    with pytest.raises(SourceConfigError, match=TOKEN_ENV) as raised:
        make_source().validate()
    assert "rejected the token" in str(raised.value)
    assert "not-the-token" not in str(raised.value)


def test_a_missing_token_names_the_variable(
    make_source: SourceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TOKEN_ENV)
    with pytest.raises(SourceConfigError, match=f"set the environment variable {TOKEN_ENV}"):
        make_source().validate()


def test_429_waits_for_retry_after_then_succeeds(
    vercel: FakeVercel, make_source: SourceFactory, sleeps: Sleeps
) -> None:
    vercel.fail_next(429, {"Retry-After": "7"})
    vercel.fail_next(429, {"X-RateLimit-Reset": str(1_000_000 + 12)})
    body = make_source().client.get("/v2/user", what="user", team=False)
    assert body["user"]["username"] == "johndoe"
    assert sleeps == [7.0, 12.0]


def test_5xx_is_retried_with_backoff(
    vercel: FakeVercel, make_source: SourceFactory, sleeps: Sleeps
) -> None:
    for _ in range(3):
        vercel.fail_next(502)
    make_source().client.get("/v2/user", what="user", team=False)
    assert sleeps == [0.5, 1.0, 2.0]


def test_exhausted_retries_hand_the_wait_to_the_core(
    vercel: FakeVercel, make_source: SourceFactory, sleeps: Sleeps
) -> None:
    for _ in range(5):
        vercel.fail_next(429, {"Retry-After": "3"})
    with pytest.raises(SourceUnavailableError) as raised:
        make_source().client.get("/v2/user", what="user", team=False)
    assert raised.value.retry_after_s == 3.0
    assert len(sleeps) == 4


def test_a_distant_reset_is_not_slept_through(
    vercel: FakeVercel, make_source: SourceFactory, sleeps: Sleeps
) -> None:
    vercel.fail_next(429, {"X-RateLimit-Reset": str(1_000_000 + 600)})
    with pytest.raises(SourceUnavailableError, match="rate limit") as raised:
        make_source().client.get("/v2/user", what="user", team=False)
    assert raised.value.retry_after_s == 600.0
    assert sleeps == []


def test_404_is_a_not_found_error(make_source: SourceFactory) -> None:
    with pytest.raises(VercelNotFoundError):
        make_source().client.get("/v13/deployments/dpl_missing", what="deployment")
