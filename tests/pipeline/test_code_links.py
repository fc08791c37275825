"""Search results linked across sources through the code they share: a Vercel deployment
is "built from" the GitHub source of its repository, a GitHub file is "deployed in" the
deployments of its commit (documents.code_refs, code_links.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcesync import actions, search_hits
from sourcesync.embeddings import LocalEmbedder
from tests.fakes.github import FakeGitHub, GitRepo
from tests.fakes.vercel import FakeVercel, failing_log

from .conftest import running_harness

GITHUB_TOKEN = "ghp_codelinks0123456789"


async def test_a_deployment_and_the_files_it_was_built_from_point_at_each_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_embedder: LocalEmbedder
) -> None:
    repo = GitRepo.init(tmp_path / "widgets")
    repo.write({"src/checkout.ts": "export function checkout(cart) { return pay(cart) }\n"})
    head = repo.commit("checkout")
    with FakeGitHub(repo, token=GITHUB_TOKEN) as github, FakeVercel() as vercel:
        monkeypatch.setenv("SOURCESYNC_LINKS_GH", GITHUB_TOKEN)
        monkeypatch.setenv("SOURCESYNC_LINKS_VERCEL", vercel.token)
        project = vercel.add_project("checkout", repo="octo/widgets")
        vercel.add_deployment(project, state="ERROR", sha=head, log=failing_log(1))
        async with running_harness(
            tmp_path,
            local_embedder,
            github_api_url=github.api_url,
            github_raw_url=github.raw_url,
            vercel_api_url=vercel.url,
        ) as harness:
            actions.add_source(
                harness.services,
                "github",
                {"repository": "octo/widgets", "token_env": "SOURCESYNC_LINKS_GH"},
                name="widgets",
            )
            actions.add_source(
                harness.services,
                "vercel",
                {"token_env": "SOURCESYNC_LINKS_VERCEL", "team": "acme", "build_logs": False},
                name="deploys",
            )
            for source in ("widgets", "deploys"):
                synced = await harness.sync(source)
                assert synced.completed["status"] == "completed", synced.job

            files = await search_hits.search(
                harness.services, "checkout pay cart", k=5, source_ref="widgets"
            )
            builds = await search_hits.search(
                harness.services, "deployment error checkout", k=5, source_ref="deploys"
            )

    [file] = [hit for hit in files if hit.location == "src/checkout.ts"]
    assert [(link["relation"], link["source"]) for link in file.related] == [
        ("deployed in", "deploys")
    ]
    deployment = next(hit for hit in builds if hit.related)
    [link] = deployment.related
    assert (link["relation"], link["source"], link["atCommit"]) == ("built from", "widgets", True)
    assert link["title"] == f"octo/widgets@{head[:12]}"
