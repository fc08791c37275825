from collections.abc import Callable

import pytest

from sourcesync.connectors.errors import SourceUnavailableError
from sourcesync.connectors.file_source import FileRef
from sourcesync.connectors.github.client import GitHubClient
from sourcesync.connectors.retries import RetryPolicy
from tests.fakes.github import FakeGitHub, GitRepo

from .conftest import FILES, TOKEN, SourceFactory

NOW = 1_700_000_000.0

ONE_TRY = RetryPolicy(attempts=1)


def test_fetch_downloads_raw_content_with_the_token(
    github: FakeGitHub, make_source: SourceFactory
) -> None:
    source = make_source()
    plan = source.plan(None, full=True)

    contents = source.fetch(plan.files)

    assert contents == {
        ref.path: (c.encode() if isinstance(c := FILES[ref.path], str) else c) for ref in plan.files
    }
    raw = [r for r in github.requests if r.endpoint == "raw"]
    assert len(raw) == len(plan.files)
    assert {r.headers["authorization"] for r in raw} == {f"Bearer {TOKEN}"}
    assert {r.path.split("/")[4] for r in raw} == {plan.head}


def test_fetch_reuses_a_bounded_number_of_connections(
    github: FakeGitHub,
    repo: GitRepo,
    make_client: Callable[..., GitHubClient],
    make_source: SourceFactory,
) -> None:
    repo.write({f"many/file{n:02}.txt": f"file {n}\n" for n in range(24)})
    repo.commit("many files")
    source = make_source(client=make_client(concurrency=2))
    plan = source.plan(None, full=True)

    contents = source.fetch(plan.files)

    assert all(contents.values())
    ports = {r.client_port for r in github.requests if r.endpoint == "raw"}
    assert len(ports) <= 3  # the downloads' two, and the API's one


def test_a_file_gone_from_the_commit_is_none(repo: GitRepo, make_source: SourceFactory) -> None:
    source = make_source()
    head = source.validate()
    refs = [FileRef("README.md", "0" * 40, 10), FileRef("deleted/meanwhile.md", "1" * 40, 10)]

    contents = source.fetch(refs, commit=head)

    assert contents == {"README.md": FILES["README.md"].encode(), "deleted/meanwhile.md": None}


def test_fetch_defaults_to_the_branch_head(github: FakeGitHub, make_source: SourceFactory) -> None:
    contents = make_source().fetch([FileRef("README.md", "0" * 40, 10)])

    assert contents["README.md"] == FILES["README.md"].encode()
    assert github.counts["branch"] == 1


@pytest.mark.parametrize(
    ("status", "reset_at", "retry_after", "expected_s"),
    [
        (403, int(NOW) + 90, None, 90.0),  # primary limit: X-RateLimit-Reset
        (429, None, "17", 17.0),  # secondary limit: Retry-After
        (403, int(NOW) + 90, "30", 30.0),  # Retry-After wins when both are given
        (403, int(NOW) - 5, None, 1.0),  # a reset already past: retry soon, not at once
    ],
)
@pytest.mark.parametrize("operation", ["fetch", "validate"])
def test_rate_limits_are_unavailable_with_the_time_to_wait(
    operation: str,
    status: int,
    reset_at: int | None,
    retry_after: str | None,
    expected_s: float,
    github: FakeGitHub,
    make_client: Callable[..., GitHubClient],
    make_source: SourceFactory,
) -> None:
    source = make_source(client=make_client(clock=lambda: NOW, retry_policy=ONE_TRY))
    head = source.validate()
    github.rate_limit_next(3, status=status, reset_at=reset_at, retry_after=retry_after)

    with pytest.raises(SourceUnavailableError, match="rate limit") as caught:
        if operation == "fetch":
            source.fetch([FileRef("README.md", "0" * 40, 10)], commit=head)
        else:
            source.validate()

    assert caught.value.retry_after_s == expected_s


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_unavailable(
    status: int,
    github: FakeGitHub,
    make_client: Callable[..., GitHubClient],
    make_source: SourceFactory,
) -> None:
    source = make_source(client=make_client(retry_policy=ONE_TRY))
    head = source.validate()
    github.fail_next(1, status=status)

    with pytest.raises(SourceUnavailableError, match=str(status)):
        source.fetch([FileRef("README.md", "0" * 40, 10)], commit=head)

    assert source.fetch([FileRef("README.md", "0" * 40, 10)], commit=head)["README.md"]


def test_the_first_failure_stops_the_downloads_not_yet_started(
    github: FakeGitHub,
    repo: GitRepo,
    make_client: Callable[..., GitHubClient],
    make_source: SourceFactory,
) -> None:
    repo.write({f"many/file{n:02}.txt": f"file {n}\n" for n in range(40)})
    head = repo.commit("many files")
    source = make_source(client=make_client(concurrency=1))
    refs = [FileRef(f"many/file{n:02}.txt", "0" * 40, 8) for n in range(40)]
    github.rate_limit_next(1, status=429, retry_after="60")  # too long to wait in place

    with pytest.raises(SourceUnavailableError):
        source.fetch(refs, commit=head)

    assert github.counts["raw"] < len(refs)


def test_blips_are_retried_in_place_and_long_waits_are_left_to_the_workflow(
    github: FakeGitHub, make_client: Callable[..., GitHubClient], make_source: SourceFactory
) -> None:
    source = make_source(client=make_client(retry_policy=RetryPolicy(backoff_s=0.01)))
    head = source.validate()
    github.fail_next(2, status=502)
    assert source.fetch([FileRef("README.md", "0" * 40, 10)], commit=head)["README.md"]
    github.rate_limit_next(1, status=429, retry_after="3600")
    with pytest.raises(SourceUnavailableError) as caught:
        source.fetch([FileRef("README.md", "0" * 40, 10)], commit=head)
    assert caught.value.retry_after_s == 3600


@pytest.mark.parametrize("proxied", [False, True])
def test_raw_downloads_send_what_the_client_sends(
    github: FakeGitHub,
    make_source: SourceFactory,
    monkeypatch: pytest.MonkeyPatch,
    proxied: bool,
) -> None:
    # Without a proxy the downloads skip the client for its transport (cheaper per file);
    # with one they go through the client, which routes them. The headers are the same.
    if proxied:
        monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    source = make_source()
    plan = source.plan(None, full=True)

    source.fetch(plan.files[:1])

    api, raw = github.requests[-2], github.requests[-1]
    assert raw.endpoint == "raw"
    assert raw.headers["user-agent"] == api.headers["user-agent"]
    assert raw.headers["accept-encoding"] == api.headers["accept-encoding"]
    assert raw.headers["authorization"] == f"Bearer {TOKEN}"
