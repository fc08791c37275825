"""`sourcesync serve` killed with SIGKILL in the middle of a sync, then started again."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sourcesync.embeddings import OnnxEmbedder
from sourcesync.settings import Settings
from sourcesync.stores import LanceDBVectorStore
from sourcesync.workflows.store_ensure import namespace_for
from tests.processes import wait_until
from tests.serve_process import Server

from .conftest import Repo

FILES = 120


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    instance = Server(tmp_path / "home")
    try:
        yield instance
    finally:
        instance.stop()


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_a_sync_survives_sigkill_of_serve_with_exact_metrics(
    server: Server, tmp_path: Path
) -> None:
    repo = Repo(tmp_path / "repo")
    for index in range(FILES):
        repo.write(
            f"notes/note_{index}.md",
            f"# Note {index}\n\nNote number {index} is about item {index * 7}.\n",
        )
    repo.commit("notes")
    server.cli("sources", "add", "git", str(repo.path), "--name", "notes", "--no-sync")
    server.start()
    response = httpx.post(
        f"http://127.0.0.1:{server.port}/api/sync",
        json={"source": "notes"},
        headers=server.headers,
        timeout=10,
    )
    assert response.status_code == 202
    job_id = response.json()["jobId"]

    def some_batches_done() -> bool:
        job = server.get(f"/api/jobs/{job_id}")
        return isinstance(job, dict) and job["batches"]["completed"] >= 3

    wait_until(some_batches_done, "no batch finished", timeout=240)
    job = server.get(f"/api/jobs/{job_id}")
    assert isinstance(job, dict) and job["status"] == "running", "the sync ended before the kill"
    server.kill()
    server.start()

    def finished() -> bool:
        job = server.get(f"/api/jobs/{job_id}")
        return isinstance(job, dict) and job["status"] not in ("queued", "running")

    wait_until(finished, "the sync did not finish after the restart", timeout=240)
    job = server.get(f"/api/jobs/{job_id}")
    assert isinstance(job, dict)
    server.stop()
    assert job["status"] == "completed", job
    metrics = job["metrics"]
    assert metrics["filesProcessed"] == FILES
    assert metrics["documentsProcessed"] == FILES
    assert metrics["filesFailed"] == 0

    chunk_ids = asyncio.run(_chunk_ids(server.home))
    assert len(chunk_ids) == len(set(chunk_ids)), "a chunk is duplicated in the store"
    assert len({c.split("#")[0] for c in chunk_ids}) == FILES
    assert metrics["embeddingsCreated"] == len(chunk_ids)


async def _chunk_ids(home: Path) -> list[str]:
    settings = Settings(home=home)
    store = LanceDBVectorStore(settings.resolved_vector_store)
    namespace = namespace_for("default", OnnxEmbedder().model_name)  # serve's default embedder
    probe = [1.0] + [0.0] * 383
    hits = await store.query(namespace, "default", probe, 100_000)
    return [hit.id for hit in hits]
