"""Nothing is lost when the sources and the embedder misbehave: one request in ten to the
GitHub, Linear and embeddings fakes gets a 429, a 500, a 502 or a dropped connection."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcesync import actions
from sourcesync.embeddings import OpenAICompatibleEmbedder
from tests.fakes.chaos import Chaos
from tests.fakes.github import FakeGitHub, GitRepo
from tests.fakes.linear import FakeLinear
from tests.fakes.openai_embeddings import FakeOpenAIEmbeddings
from tests.pipeline.conftest import running_harness

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

FILES = 300
ISSUES = 40
TOKEN = "ghp_reliability0123456789"


async def test_one_request_in_ten_failing_loses_no_file_and_no_issue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = GitRepo.init(tmp_path / "widgets")
    repo.write(
        {
            f"notes/{n:03}.md": f"# Note {n}\n\nNote {n} is about item {n * 7}.\n"
            for n in range(FILES)
        }
    )
    repo.commit("notes")
    monkeypatch.setenv("SOURCESYNC_RELIABILITY_GH", TOKEN)
    with (
        FakeGitHub(repo, token=TOKEN, chaos=Chaos(rate=0.1, seed=1)) as github,
        FakeLinear(chaos=Chaos(rate=0.1, seed=2)) as linear,
        FakeOpenAIEmbeddings(dimension=16, chaos=Chaos(rate=0.1, seed=3)) as endpoint,
    ):
        monkeypatch.setenv("SOURCESYNC_RELIABILITY_LINEAR", linear.api_key)
        linear.add_user("Keeper")
        team = linear.add_team("ENG", "Engineering")
        for n in range(ISSUES):
            linear.tick()
            linear.add_issue(team, f"Issue {n}: trim lamp {n}")
        linear.tick()
        embedder = OpenAICompatibleEmbedder(
            base_url=endpoint.base_url, model="fake-embedding", dimension=16, backoff_s=0.05
        )
        async with running_harness(
            tmp_path,
            embedder,
            github_api_url=github.api_url,
            github_raw_url=github.raw_url,
            linear_api_url=linear.url,
        ) as harness:
            actions.add_source(
                harness.services,
                "github",
                {"repository": "octo/widgets", "token_env": "SOURCESYNC_RELIABILITY_GH"},
                validate=False,
            )
            actions.add_source(
                harness.services,
                "linear",
                {"token_env": "SOURCESYNC_RELIABILITY_LINEAR"},
                validate=False,
            )
            files = await harness.sync("widgets")
            issues = await harness.sync("linear")
            chunks = await harness.chunks()

        assert github.chaos.injected and linear.chaos.injected and endpoint.chaos.injected
    assert files.completed["status"] == "completed", files.job
    assert files.completed["metrics"]["filesProcessed"] == FILES
    assert files.completed["metrics"]["filesFailed"] == 0
    assert files.completed["metrics"]["documentsProcessed"] == FILES
    assert issues.completed["status"] == "completed", issues.job
    assert issues.completed["metrics"]["documentsProcessed"] == ISSUES
    assert len(chunks) == FILES + ISSUES
    assert sum(len(ids) for ids in chunks.values()) == (
        files.completed["metrics"]["embeddingsCreated"]
        + issues.completed["metrics"]["embeddingsCreated"]
    )
