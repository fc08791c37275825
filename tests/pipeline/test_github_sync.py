"""GitHub sources end to end, against a fake GitHub backed by a real repository."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sourcesync import actions
from sourcesync.connectors.github import source as github_source
from sourcesync.connectors.github.source import GitHubFileSource
from sourcesync.connectors.github.transform import github_file_id
from sourcesync.embeddings import LocalEmbedder
from tests.fakes.github import FakeGitHub, GitRepo

from .conftest import Harness, running_harness

TOKEN = "ghp_pipeline0123456789"
TOKEN_ENV = "SOURCESYNC_TEST_GH_TOKEN"
SECRET = "webhook-secret"
SECRET_ENV = "SOURCESYNC_TEST_GH_SECRET"


def doc_id(path: str) -> str:
    return github_file_id("octo", "widgets", path)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "widgets")
    repo.write(
        {
            "README.md": "# Widgets\n\nWidgets are assembled from sprockets.\n",
            "src/core.py": "def make():\n    return 'widget'\n",
            "docs/guide.md": "# Guide\n\nCalibrate the flux capacitor first.\n",
            "notes.txt": "The launch moves to Tuesday.\n",
            "logo.png": b"\x89PNG\r\n\x1a\n\x00" + bytes(range(200)),
        }
    )
    repo.commit("initial")
    return repo


@pytest.fixture
def github(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv(SECRET_ENV, SECRET)
    with FakeGitHub(repo, token=TOKEN) as fake:
        yield fake


@pytest.fixture
async def gh_harness(
    tmp_path: Path, github: FakeGitHub, local_embedder: LocalEmbedder
) -> AsyncIterator[Harness]:
    async with running_harness(
        tmp_path,
        local_embedder,
        github_api_url=github.api_url,
        github_raw_url=github.raw_url,
        webhook_debounce_seconds=1,
    ) as running:
        actions.add_source(
            running.services,
            "github",
            {
                "repository": "octo/widgets",
                "token_env": TOKEN_ENV,
                "webhook_secret_env": SECRET_ENV,
            },
        )
        yield running


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def post_push(
    harness: Harness, before: str, after: str, delivery: str, signature: str | None = None
) -> httpx.Response:
    body = json.dumps(
        {
            "ref": "refs/heads/main",
            "before": before,
            "after": after,
            "created": False,
            "deleted": False,
            "repository": {"full_name": "octo/widgets", "name": "widgets"},
        }
    ).encode()
    headers = {
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": signature or signed(body),
        "Content-Type": "application/json",
    }
    async with harness.api() as client:
        return await client.post("/webhooks/github", content=body, headers=headers)


async def completed_syncs(harness: Harness, count: int) -> list[dict[str, object]]:
    engine = harness.runtime.engine
    for _ in range(600):
        events = engine.state.list_events("apps-console/sync.completed", 100)
        if len(events) >= count:
            return [data["data"] for _, data, _ in reversed(events)]
        await asyncio.sleep(0.1)
    raise AssertionError(f"fewer than {count} syncs completed")


async def test_full_sync_then_a_signed_push_syncs_exactly_the_change(
    gh_harness: Harness, repo: GitRepo, github: FakeGitHub
) -> None:
    first = await gh_harness.sync("widgets")
    metrics = first.completed["metrics"]
    assert first.completed["status"] == "completed"
    assert (metrics["filesProcessed"], metrics["filesSkipped"]) == (4, 1)
    assert github.tree_requests(recursive=True) == 1
    chunks = await gh_harness.chunks()
    assert set(chunks) == {
        doc_id(p) for p in ("README.md", "src/core.py", "docs/guide.md", "notes.txt")
    }
    before = repo.git("rev-parse", "HEAD")

    repo.write(
        {"notes.txt": "The launch moved to Thursday.\n", "CHANGELOG.md": "# Changes\n\n- v1\n"}
    )
    repo.remove("docs/guide.md")
    repo.rename("src/core.py", "src/widgets.py")
    after = repo.commit("second")

    bad = await post_push(gh_harness, before, after, "d-0", signature="sha256=" + "0" * 64)
    assert bad.status_code == 401
    assert gh_harness.runtime.engine.state.list_events("apps-console/source.changed", 5) == []
    assert (await post_push(gh_harness, before, after, "d-1")).status_code == 202
    assert (await post_push(gh_harness, before, after, "d-1")).status_code == 202  # redelivery
    assert (await post_push(gh_harness, before, after, "d-2")).status_code == 202  # burst

    [_, second] = await completed_syncs(gh_harness, 2)
    await asyncio.sleep(2.5)  # past the debounce: a burst must have made one sync only
    assert len(await completed_syncs(gh_harness, 2)) == 2
    job = actions.job_view(gh_harness.services, str(second["jobId"]))
    assert job["trigger"] == "webhook" and job["mode"] == "incremental"
    metrics = second["metrics"]  # type: ignore[assignment]
    assert metrics["filesProcessed"] == 3  # notes.txt, CHANGELOG.md, src/widgets.py
    assert metrics["filesDeleted"] == 2  # docs/guide.md, src/core.py
    after_chunks = await gh_harness.chunks()
    assert set(after_chunks) == {
        doc_id(p) for p in ("README.md", "src/widgets.py", "notes.txt", "CHANGELOG.md")
    }
    assert after_chunks[doc_id("README.md")] == chunks[doc_id("README.md")]


async def test_rate_limits_are_waited_out_without_failing_files(
    gh_harness: Harness, github: FakeGitHub
) -> None:
    github.rate_limit_next(times=3, status=429, retry_after="1")
    outcome = await gh_harness.sync("widgets")
    assert outcome.completed["status"] == "completed"
    assert outcome.completed["metrics"]["filesFailed"] == 0
    assert outcome.completed["metrics"]["filesProcessed"] == 4


async def test_a_bad_token_fails_the_job_naming_what_to_fix(
    gh_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "ghp_revoked")
    outcome = await gh_harness.sync("widgets")
    assert outcome.completed["status"] == "failed"
    assert TOKEN_ENV in str(outcome.completed["error"])


async def test_truncated_trees_and_the_compare_cap_still_sync_every_change(
    gh_harness: Harness, repo: GitRepo, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    github.truncate_trees_over = 2
    github.compare_cap = 1  # GitHub's 300, scaled down with the connector's own limit:
    capped = functools.partial(GitHubFileSource, compare_files_cap=1)
    # The spec opens a source with the class its module holds when the source opens.
    monkeypatch.setattr(github_source, "GitHubFileSource", capped)
    first = await gh_harness.sync("widgets")
    assert first.completed["metrics"]["filesProcessed"] == 4
    assert github.tree_requests(recursive=False) > 0, "the truncated tree was not walked"

    repo.write({"notes.txt": "Moved to Friday.\n", "docs/more.md": "# More\n\nAnother page.\n"})
    repo.remove("README.md")
    repo.commit("three changes, over the compare cap")
    second = await gh_harness.sync("widgets")
    metrics = second.completed["metrics"]
    assert (metrics["filesProcessed"], metrics["filesDeleted"]) == (2, 1)
    assert doc_id("README.md") not in await gh_harness.chunks()


async def test_a_force_push_falls_back_to_a_full_sync(
    gh_harness: Harness, repo: GitRepo, github: FakeGitHub
) -> None:
    base = repo.git("rev-parse", "HEAD")
    repo.write({"notes.txt": "A commit that will be rewritten away.\n"})
    repo.commit("doomed")
    await gh_harness.sync("widgets")
    repo.reset_hard(base)
    repo.write({"docs/guide.md": "# Guide\n\nRewritten guide.\n"})
    repo.commit("rewritten")
    repo.drop_unreachable()

    outcome = await gh_harness.sync("widgets")
    metrics = outcome.completed["metrics"]
    assert outcome.completed["status"] == "completed"
    # notes.txt is back to its first content and the guide changed: both re-embedded.
    assert metrics["filesProcessed"] == 2
    assert metrics["filesSkipped"] == 3  # README.md, src/core.py unchanged; logo.png binary


async def test_a_github_app_mints_one_installation_token_for_every_batch(
    tmp_path: Path,
    repo: GitRepo,
    github: FakeGitHub,
    local_embedder: LocalEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    monkeypatch.setenv("SOURCESYNC_TEST_GH_APP_KEY", pem)
    github.token = None
    github.install_app(app_id="5150", public_key=key.public_key(), installation_id=88)
    repo.write({f"pkg/module_{i}.py": f"VALUE = {i}\n" for i in range(120)})
    repo.commit("three batches of files")
    async with running_harness(
        tmp_path,
        local_embedder,
        github_api_url=github.api_url,
        github_raw_url=github.raw_url,
    ) as harness:
        actions.add_source(
            harness.services,
            "github",
            {
                "repository": "octo/widgets",
                "app_id": "5150",
                "private_key_env": "SOURCESYNC_TEST_GH_APP_KEY",
            },
        )
        outcome = await harness.sync("widgets")
    assert outcome.completed["status"] == "completed"
    assert outcome.completed["metrics"]["filesProcessed"] == 124
    # Validation, planning and three files batches all read as the app: one lookup of the
    # installation and one token, shared until it nears expiry.
    assert github.counts["installation"] == 1
    assert github.counts["access_token"] == 1
