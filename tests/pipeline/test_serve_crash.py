"""`sourcesync serve` killed with SIGKILL in the middle of a sync, then started again."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sourcesync.embeddings import OnnxEmbedder
from sourcesync.settings import Settings
from sourcesync.stores import LanceDBVectorStore
from sourcesync.workflows.store_ensure import namespace_for
from tests.processes import free_port, wait_until

from .conftest import Repo

REPO_ROOT = Path(__file__).resolve().parents[2]
FILES = 120


class Server:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.env = os.environ | {
            "SOURCESYNC_HOME": str(home),
            "SOURCESYNC_ENGINE_PORT": str(free_port()),
            "SOURCESYNC_BATCH_SIZE": "10",
            "SOURCESYNC_BATCH_CONCURRENCY": "2",
            "HF_HUB_OFFLINE": "1",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sourcesync.cli", *args],
            env=self.env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )

    def start(self) -> None:
        log = (self.home / "serve.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sourcesync.cli", "serve", "--port", str(self.port)],
            env=self.env,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=log,
        )
        wait_until(lambda: self.get("/api/jobs") is not None, "serve did not start")

    def get(self, path: str) -> object:
        try:
            response = httpx.get(f"http://127.0.0.1:{self.port}{path}", timeout=5)
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == 200 else None

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    instance = Server(tmp_path / "home")
    try:
        yield instance
    finally:
        instance.stop()


@pytest.mark.slow
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
    server.cli("sources", "add", "git", str(repo.path), "--name", "notes")
    server.start()
    response = httpx.post(
        f"http://127.0.0.1:{server.port}/api/sync", json={"source": "notes"}, timeout=10
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
