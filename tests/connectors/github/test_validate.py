from collections.abc import Callable

import pytest

from sourcesync.connectors.errors import SourceConfigError
from sourcesync.connectors.github.auth import PersonalToken
from sourcesync.connectors.github.client import GitHubClient
from tests.fakes.github import FakeGitHub, GitRepo

from .conftest import TOKEN_ENV, SourceFactory


def test_validate_returns_the_default_branch_head(
    repo: GitRepo, make_source: SourceFactory
) -> None:
    assert make_source().validate() == repo.git("rev-parse", "HEAD")


def test_validate_returns_the_configured_branch_head(
    repo: GitRepo, make_source: SourceFactory
) -> None:
    repo.git("checkout", "--quiet", "-b", "release/1.0")
    release = repo.commit("release")
    repo.git("checkout", "--quiet", "main")

    assert make_source(branch="release/1.0").validate() == release


def test_a_rejected_token_names_the_variable_to_fix(
    monkeypatch: pytest.MonkeyPatch, make_source: SourceFactory
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "ghp_revoked")

    with pytest.raises(SourceConfigError, match=f"set {TOKEN_ENV} to a valid token") as caught:
        make_source().validate()

    assert "ghp_revoked" not in str(caught.value)


def test_an_unset_token_variable_is_named(
    monkeypatch: pytest.MonkeyPatch, github: FakeGitHub, make_source: SourceFactory
) -> None:
    monkeypatch.delenv(TOKEN_ENV)

    with pytest.raises(SourceConfigError, match=f"{TOKEN_ENV} .* is not set"):
        make_source().validate()

    assert not github.requests


def test_a_missing_repository_is_reported(
    make_client: Callable[..., GitHubClient], make_source: SourceFactory
) -> None:
    source = make_source(client=make_client("octo/nope"))

    with pytest.raises(
        SourceConfigError, match="repository octo/nope not found or the token cannot see it"
    ):
        source.validate()


def test_a_private_repository_without_a_token_is_reported_as_missing(
    make_client: Callable[..., GitHubClient], make_source: SourceFactory
) -> None:
    with pytest.raises(SourceConfigError, match="not found or the token cannot see it"):
        make_source(client=make_client(auth=None)).validate()


def test_a_missing_branch_is_reported(make_source: SourceFactory) -> None:
    with pytest.raises(SourceConfigError, match="branch 'nope' not found in octo/widgets"):
        make_source(branch="nope").validate()


@pytest.mark.parametrize("repository", ["widgets", "octo/", "/widgets", "octo/widgets/extra"])
def test_a_malformed_repository_name_is_a_config_error(repository: str) -> None:
    with pytest.raises(SourceConfigError, match="owner/name"):
        GitHubClient(repository, auth=PersonalToken(TOKEN_ENV))


def test_reprs_hold_no_secret(make_client: Callable[..., GitHubClient]) -> None:
    assert TOKEN_ENV in repr(make_client())
    assert "ghp_" not in repr(make_client())
