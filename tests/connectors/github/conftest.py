import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sourcesync.connectors.github.auth import PersonalToken
from sourcesync.connectors.github.client import GitHubClient
from sourcesync.connectors.github.source import GitHubFileSource
from tests.fakes.github import FakeGitHub, GitRepo

TOKEN = "ghp_Fake0123456789abcdef"
TOKEN_ENV = "SOURCESYNC_TEST_GITHUB_TOKEN"

FILES: dict[str, str | bytes] = {
    "README.md": "# Widgets\n\nWidgets for everyone.\n",
    "src/widgets/__init__.py": "from .core import make\n",
    "src/widgets/core.py": "def make() -> str:\n    return 'widget'\n",
    "src/widgets/io/readers.py": "def read(path):\n    return open(path).read()\n",
    "docs/guide/intro.md": "# Intro\n\nStart here.\n",
    "docs/guide/advanced.md": "# Advanced\n\nLater.\n",
    "node_modules/left-pad/index.js": "module.exports = pad;\n",
    "assets/logo.png": bytes(range(256)) * 4,
    "notes/a file #1.txt": "spaces and a hash in the name\n",
}

SourceFactory = Callable[..., GitHubFileSource]


@pytest.fixture
def repo(tmp_path: Any) -> GitRepo:
    repo = GitRepo.init(tmp_path / "widgets")
    repo.write(FILES)
    os.symlink("README.md", repo.path / "LINK.md")
    repo.commit("initial")
    return repo


@pytest.fixture
def github(repo: GitRepo) -> Iterator[FakeGitHub]:
    with FakeGitHub(repo, token=TOKEN) as fake:
        yield fake


@pytest.fixture
def token_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


@pytest.fixture
def make_client(github: FakeGitHub, token_env: None) -> Iterator[Callable[..., GitHubClient]]:
    """Clients aimed at the fake, authenticated by the token in TOKEN_ENV unless told."""
    clients: list[GitHubClient] = []

    def make(repository: str | None = None, **kwargs: Any) -> GitHubClient:
        kwargs.setdefault("auth", PersonalToken(TOKEN_ENV))
        client = GitHubClient(
            repository or github.full_name,
            api_url=github.api_url,
            raw_url=github.raw_url,
            **kwargs,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def make_source(make_client: Callable[..., GitHubClient]) -> SourceFactory:
    def make(*, client: GitHubClient | None = None, **kwargs: Any) -> GitHubFileSource:
        kwargs = {"workspace_id": "ws", "source_id": "src-1"} | kwargs
        return GitHubFileSource(client=client or make_client(), **kwargs)

    return make


def blob_of(repo: GitRepo, path: str, commit: str = "HEAD") -> str:
    return repo.git("rev-parse", f"{commit}:{path}")
