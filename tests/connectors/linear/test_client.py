"""`LinearClient` against the loopback Linear: auth, rate limits and errors."""

from collections.abc import Iterator

import pytest

from sourcesync.connectors.errors import SourceConfigError, SourceUnavailableError
from sourcesync.connectors.linear.client import LinearClient
from sourcesync.connectors.linear.errors import LinearAPIError
from sourcesync.connectors.linear.queries import VIEWER_QUERY
from sourcesync.connectors.retries import RetryPolicy
from tests.fakes.linear import FakeLinear

from .conftest import TOKEN_ENV, Workspace

NOW_S = 1_700_000_000.0


@pytest.fixture
def client(
    linear: FakeLinear, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LinearClient]:
    monkeypatch.setenv(TOKEN_ENV, linear.api_key)
    with LinearClient(api_url=linear.url, token_env=TOKEN_ENV, clock=lambda: NOW_S) as client:
        yield client


def test_api_key_is_sent_as_is(client: LinearClient, linear: FakeLinear) -> None:
    assert client.execute(VIEWER_QUERY)["viewer"]["name"] == "Alice"
    assert linear.requests[-1].authorization == linear.api_key


def test_oauth_token_is_sent_as_bearer(
    linear: FakeLinear, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, linear.oauth_token)
    with LinearClient(api_url=linear.url, token_env=TOKEN_ENV, token_kind="oauth") as client:
        assert client.execute(VIEWER_QUERY)["viewer"]["name"] == "Alice"
    assert linear.requests[-1].authorization == f"Bearer {linear.oauth_token}"


@pytest.mark.parametrize("status", [400, 401])
def test_bad_key_is_a_config_error_naming_the_variable(
    linear: FakeLinear, workspace: Workspace, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    linear.auth_failure_status = status
    monkeypatch.setenv(TOKEN_ENV, "lin_api_wrong_secret")
    with (
        LinearClient(api_url=linear.url, token_env=TOKEN_ENV) as client,
        pytest.raises(SourceConfigError) as caught,
    ):
        client.execute(VIEWER_QUERY)
    message = str(caught.value)
    assert TOKEN_ENV in message
    assert "Authentication required" in message
    assert "lin_api_wrong_secret" not in message
    assert "lin_api_wrong_secret" not in repr(client)


def test_missing_key_is_a_config_error_before_any_request(
    linear: FakeLinear, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with (
        LinearClient(api_url=linear.url, token_env=TOKEN_ENV) as client,
        pytest.raises(SourceConfigError, match=TOKEN_ENV),
    ):
        client.execute(VIEWER_QUERY)
    assert linear.request_count == 0


def test_ratelimited_graphql_error_waits_for_the_exhausted_budget(
    client: LinearClient, linear: FakeLinear
) -> None:
    linear.rate_limit_next(requests_reset_ms=int((NOW_S + 30) * 1000))

    with pytest.raises(SourceUnavailableError) as caught:
        client.execute(VIEWER_QUERY)

    assert caught.value.retry_after_s == pytest.approx(30)
    assert "Rate limit exceeded" in str(caught.value)
    assert client.execute(VIEWER_QUERY)["viewer"]["name"] == "Alice"
    assert linear.request_count == 2


def test_complexity_reset_is_read_too(client: LinearClient, linear: FakeLinear) -> None:
    linear.rate_limit_next(complexity_reset_ms=int((NOW_S + 90) * 1000))

    with pytest.raises(SourceUnavailableError) as caught:
        client.execute(VIEWER_QUERY)

    assert caught.value.retry_after_s == pytest.approx(90)


def test_http_429_uses_retry_after(client: LinearClient, linear: FakeLinear) -> None:
    linear.rate_limit_next(status=429, retry_after="12")

    with pytest.raises(SourceUnavailableError) as caught:
        client.execute(VIEWER_QUERY)

    assert caught.value.retry_after_s == 12


def test_server_error_is_transient(linear: FakeLinear, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, linear.api_key)
    linear.fail_next(503, "upstream unavailable")

    one_try = RetryPolicy(attempts=1)
    with (
        LinearClient(api_url=linear.url, token_env=TOKEN_ENV, retry_policy=one_try) as client,
        pytest.raises(SourceUnavailableError, match="503"),
    ):
        client.execute(VIEWER_QUERY)


def test_a_blip_is_retried_in_place(client: LinearClient, linear: FakeLinear) -> None:
    linear.fail_next(503, "upstream unavailable")

    assert client.execute(VIEWER_QUERY)["viewer"]


def test_other_graphql_errors_carry_linear_message(
    client: LinearClient, linear: FakeLinear
) -> None:
    linear.fail_next(400, "Argument Validation Error", code="INVALID_INPUT")

    with pytest.raises(LinearAPIError, match="Argument Validation Error") as caught:
        client.execute(VIEWER_QUERY)

    assert caught.value.status_code == 400
    assert caught.value.code == "INVALID_INPUT"


def test_invalid_query_is_reported_with_graphql_message(client: LinearClient) -> None:
    with pytest.raises(LinearAPIError, match="nonsense"):
        client.execute("query { viewer { nonsense } }")


def test_unreachable_linear_is_transient(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "key")
    with (
        LinearClient(api_url="http://127.0.0.1:9/graphql", token_env=TOKEN_ENV) as client,
        pytest.raises(SourceUnavailableError, match="could not reach Linear"),
    ):
        client.execute(VIEWER_QUERY)
