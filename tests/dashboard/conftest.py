"""A runtime with its dashboard, and browsers (httpx clients) signed in to it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from sourcesync import actions, db
from sourcesync.embeddings import LocalEmbedder
from tests.pipeline.conftest import Harness, Repo, running_harness

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def make_token(harness: Harness, scope: db.TokenScope) -> str:
    workspace = actions.workspace_id(harness.services)
    with harness.services.transaction() as session:
        _, secret = db.create_token(session, workspace, f"{scope} browser", scope=scope)
    return secret


async def signed_in(harness: Harness, token: str) -> httpx.AsyncClient:
    """A client of the app in process that signed in with ``token`` (cookie kept)."""
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=harness.runtime.app), base_url="http://dash"
    )
    response = await client.post("/login", data={"token": token, "next": "/jobs"})
    assert response.status_code == 303, response.text
    return client


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found, "the page has no CSRF field"
    return found.group(1)


@pytest.fixture
async def harness(tmp_path: Path, local_embedder: LocalEmbedder) -> AsyncIterator[Harness]:
    async with running_harness(tmp_path, local_embedder, batch_size=2) as running:
        yield running


@pytest.fixture
async def browser(harness: Harness) -> AsyncIterator[httpx.AsyncClient]:
    client = await signed_in(harness, actions.local_api_token(harness.services))
    try:
        yield client
    finally:
        await client.aclose()


def build_repo(repo: Repo) -> None:
    repo.write("README.md", "# Widgets\n\nWidgets are assembled from sprockets.\n")
    repo.write("src/app.py", "def assemble(sprocket):\n    return sprocket * 2\n")
    repo.write("docs/guide.md", "# Guide\n\nCalibrate the flux capacitor weekly.\n")
    repo.write("notes.txt", "The launch moves to Tuesday.\n")
    repo.commit("initial")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")
