from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sourcesync.connectors.errors import SourceConfigError
from sourcesync.connectors.file_source import FileRef
from sourcesync.connectors.github.auth import GitHubApp
from sourcesync.connectors.github.client import GitHubClient
from tests.fakes.github import FakeGitHub

from .conftest import SourceFactory

APP_ID = "4242"
INSTALLATION_ID = 77
KEY_ENV = "SOURCESYNC_TEST_GITHUB_APP_KEY"


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def app_key() -> rsa.RSAPrivateKey:
    return _new_key()


def _pem(key: rsa.RSAPrivateKey) -> str:
    # GitHub hands out PKCS#1 ("BEGIN RSA PRIVATE KEY") files.
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def app_github(
    github: FakeGitHub, app_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> FakeGitHub:
    """The fake with the app installed, accepting no personal token at all."""
    github.token = None
    github.install_app(
        app_id=APP_ID, public_key=app_key.public_key(), installation_id=INSTALLATION_ID
    )
    monkeypatch.setenv(KEY_ENV, _pem(app_key))
    return github


def _app_source(
    make_client: Callable[..., GitHubClient], make_source: SourceFactory, app: GitHubApp
) -> Any:
    return make_source(client=make_client(auth=app))


def test_an_installation_token_is_minted_once_and_used_everywhere(
    app_github: FakeGitHub, make_client: Callable[..., GitHubClient], make_source: SourceFactory
) -> None:
    app = GitHubApp(app_id=APP_ID, private_key_env=KEY_ENV)
    source = _app_source(make_client, make_source, app)

    head = source.validate()
    plan = source.plan(None, full=True)
    source.fetch(plan.files[:3], commit=head)
    _app_source(make_client, make_source, app).validate()  # another client, same app

    assert app_github.counts["installation"] == 1
    assert app_github.counts["access_token"] == 1
    minted = {
        r.headers["authorization"]
        for r in app_github.requests
        if r.endpoint not in ("installation", "access_token")
    }
    assert len(minted) == 1
    assert minted.pop().startswith("Bearer ghs_")


def test_a_token_close_to_expiry_is_replaced(
    app_github: FakeGitHub, make_client: Callable[..., GitHubClient], make_source: SourceFactory
) -> None:
    app_github.installation_token_ttl_s = 120  # inside the refresh margin
    source = _app_source(
        make_client, make_source, GitHubApp(app_id=APP_ID, private_key_env=KEY_ENV)
    )

    source.validate()
    source.validate()

    assert app_github.counts["access_token"] == 4  # one per request: repo, branch, twice
    assert app_github.counts["installation"] == 1  # the installation is remembered


def test_a_refused_token_is_forgotten_and_the_next_request_mints_another(
    app_github: FakeGitHub, make_client: Callable[..., GitHubClient], make_source: SourceFactory
) -> None:
    app = GitHubApp(app_id=APP_ID, private_key_env=KEY_ENV)
    source = _app_source(make_client, make_source, app)
    source.validate()
    app_github.revoke_installation_tokens()

    with pytest.raises(SourceConfigError, match=f"installation token of GitHub App {APP_ID}"):
        source.validate()
    source.validate()

    assert app_github.counts["access_token"] == 2


def test_a_configured_installation_needs_no_lookup(
    app_github: FakeGitHub, make_client: Callable[..., GitHubClient], make_source: SourceFactory
) -> None:
    app = GitHubApp(app_id=APP_ID, private_key_env=KEY_ENV, installation_id=INSTALLATION_ID)

    _app_source(make_client, make_source, app).fetch([FileRef("README.md", "0" * 40, 1)])

    assert app_github.counts["installation"] == 0
    assert app_github.counts["access_token"] == 1


def test_a_jwt_signed_with_another_key_is_refused(
    app_github: FakeGitHub,
    make_client: Callable[..., GitHubClient],
    make_source: SourceFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(KEY_ENV, _pem(_new_key()))
    source = _app_source(
        make_client, make_source, GitHubApp(app_id=APP_ID, private_key_env=KEY_ENV)
    )

    with pytest.raises(SourceConfigError, match=f"JWT of GitHub App {APP_ID}.*{KEY_ENV}"):
        source.validate()


def test_an_app_not_installed_on_the_repository_is_reported(
    app_github: FakeGitHub,
    app_key: rsa.RSAPrivateKey,
    make_client: Callable[..., GitHubClient],
    make_source: SourceFactory,
) -> None:
    app_github.install_app(app_id=APP_ID, public_key=app_key.public_key(), installation_id=None)
    source = _app_source(
        make_client, make_source, GitHubApp(app_id=APP_ID, private_key_env=KEY_ENV)
    )

    with pytest.raises(SourceConfigError, match=f"App {APP_ID} is not installed on octo/widgets"):
        source.validate()


@pytest.mark.parametrize("key", ["", "not a key"])
def test_a_missing_or_unreadable_key_names_its_variable(
    key: str,
    app_github: FakeGitHub,
    make_client: Callable[..., GitHubClient],
    make_source: SourceFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(KEY_ENV, key)
    source = _app_source(
        make_client, make_source, GitHubApp(app_id=APP_ID, private_key_env=KEY_ENV)
    )

    with pytest.raises(SourceConfigError, match=KEY_ENV):
        source.validate()

    assert not app_github.requests
