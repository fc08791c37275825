"""Nothing is lost when ``sourcesync serve`` dies: a 500-file GitHub sync, with serve killed
by SIGKILL at 20 random moments and started again each time, ends with exact metrics,
every document in the store and no chunk twice."""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import httpx
import pytest

from sourcesync.settings import Settings
from sourcesync.stores import LanceDBVectorStore
from sourcesync.workflows.store_ensure import namespace_for
from tests.fakes.github import FakeGitHub, GitRepo
from tests.fakes.openai_embeddings import FakeOpenAIEmbeddings
from tests.processes import wait_until
from tests.serve_process import Server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

FILES = 500
KILLS = 20
DIMENSION = 16
TOKEN = "ghp_kills0123456789"


async def _chunk_ids(home: Path) -> list[str]:
    store = LanceDBVectorStore(Settings(home=home).resolved_vector_store)
    probe = [1.0] + [0.0] * (DIMENSION - 1)
    hits = await store.query(namespace_for("default", "fake-embedding"), "default", probe, 100_000)
    return [hit.id for hit in hits]


def test_a_sync_survives_twenty_kills_of_serve(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "widgets")
    repo.write(
        {
            f"notes/{n:03}.md": f"# Note {n}\n\nNote {n} is about item {n * 7}.\n"
            for n in range(FILES)
        }
    )
    repo.commit("notes")
    moments = [random.Random(seed).uniform(0.1, 0.8) for seed in range(KILLS)]
    with (
        FakeGitHub(repo, token=TOKEN) as github,
        FakeOpenAIEmbeddings(dimension=DIMENSION, latency_s=1.5) as endpoint,
    ):
        server = Server(
            tmp_path / "home",
            SOURCESYNC_GITHUB_API_URL=github.api_url,
            SOURCESYNC_GITHUB_RAW_URL=github.raw_url,
            SOURCESYNC_EMBEDDER="openai",
            SOURCESYNC_EMBEDDINGS_URL=endpoint.base_url,
            SOURCESYNC_EMBEDDINGS_MODEL="fake-embedding",
            SOURCESYNC_EMBEDDINGS_DIMENSION=str(DIMENSION),
            SOURCESYNC_KILLS_TOKEN=TOKEN,
            OPENAI_API_KEY="sk-kills-test",
        )
        try:
            server.cli(
                "sources",
                "add",
                "github",
                "octo/widgets",
                "--token-env",
                "SOURCESYNC_KILLS_TOKEN",
                "--no-sync",
            )
            server.start()
            response = httpx.post(
                f"http://127.0.0.1:{server.port}/api/sync",
                json={"source": "widgets", "mode": "full"},
                headers=server.headers,
                timeout=10,
            )
            assert response.status_code == 202, response.text
            job_id = response.json()["jobId"]
            kills = 0
            for moment in moments:
                time.sleep(moment)
                job = server.get(f"/api/jobs/{job_id}")
                if isinstance(job, dict) and job["status"] not in ("queued", "running"):
                    break
                server.kill()
                kills += 1
                server.start()

            def ended() -> bool:
                job = server.get(f"/api/jobs/{job_id}")
                return isinstance(job, dict) and job["status"] not in ("queued", "running")

            wait_until(ended, "the sync did not finish after the kills", timeout=600)
            job = server.get(f"/api/jobs/{job_id}")
        finally:
            server.stop()
    assert kills == KILLS, f"only {kills} kills landed before the sync ended"
    assert isinstance(job, dict) and job["status"] == "completed", job
    metrics = job["metrics"]
    assert (metrics["filesProcessed"], metrics["filesFailed"]) == (FILES, 0)
    assert metrics["documentsProcessed"] == FILES
    chunk_ids = asyncio.run(_chunk_ids(tmp_path / "home"))
    assert len(chunk_ids) == len(set(chunk_ids)), "a chunk is duplicated in the store"
    assert len({chunk.split("#")[0] for chunk in chunk_ids}) == FILES
    assert metrics["embeddingsCreated"] == len(chunk_ids)
