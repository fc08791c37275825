"""A sync or a files batch that runs past its timeout fails, with a message naming the
setting to raise."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from sourcesync import actions, db
from sourcesync.embeddings import LocalEmbedder
from sourcesync.events import FilesBatchProcess
from sourcesync.workflows import files_batch_processor
from sourcesync.workflows.file_batches import BatchResult
from sourcesync.workflows.services import Services

from .conftest import FailingEmbedder, Repo, running_harness

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


class StuckEmbedder(FailingEmbedder):
    """Never answers: the sync can only end by its timeout."""

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")


async def test_a_sync_past_its_timeout_fails_naming_the_setting(
    tmp_path: Path, local_embedder: LocalEmbedder, repo: Repo
) -> None:
    repo.write("README.md", "# Lighthouse\n\nThe keeper logs every passing ship.\n")
    repo.commit("initial")
    async with running_harness(tmp_path, local_embedder, sync_timeout_minutes=1) as harness:
        harness.services.embedder = StuckEmbedder(local_embedder)
        actions.add_source(harness.services, "git", {"path": str(repo.path)}, name="lighthouse")
        job, event = actions.queue_sync(harness.services, "lighthouse", full=True, trigger="cli")
        await harness.runtime.send(event.name, event.to_data())
        for _ in range(1500):
            view = actions.job_view(harness.services, job.id)
            if view["status"] not in ("queued", "running"):
                break
            await asyncio.sleep(0.1)

    assert view["status"] == "failed", view
    assert "SOURCESYNC_SYNC_TIMEOUT_MINUTES" in str(view["error"]), view["error"]


async def test_a_files_batch_past_its_timeout_fails_and_the_sync_goes_on(
    tmp_path: Path, local_embedder: LocalEmbedder, repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        repo.write(f"notes/{n}.md", f"# Note {n}\n\nThe keeper logs ship {n}.\n")
    repo.commit("initial")
    released = threading.Event()
    real = files_batch_processor.process_file_batch

    def stuck_on_the_first_batch(services: Services, request: FilesBatchProcess) -> BatchResult:
        if request.batch_index == 0:
            released.wait(300)
            raise RuntimeError("released at the end of the test")
        return real(services, request)

    monkeypatch.setattr(files_batch_processor, "process_file_batch", stuck_on_the_first_batch)
    settings = {"files_batch_timeout_minutes": 1, "batch_size": 2}
    try:
        async with running_harness(tmp_path, local_embedder, **settings) as harness:
            actions.add_source(harness.services, "git", {"path": str(repo.path)}, name="notes")
            outcome = await harness.sync("notes")
            with harness.services.reading() as session:
                batch = session.get(
                    db.JobBatch, (outcome.completed["jobId"], db.BatchKind.FILES, 0)
                )
    finally:
        released.set()

    assert outcome.job["status"] == "completed_with_errors", outcome.job
    assert outcome.job["metrics"]["filesFailed"] == 2
    assert outcome.job["metrics"]["filesProcessed"] == 1
    assert batch is not None and "SOURCESYNC_FILES_BATCH_TIMEOUT_MINUTES" in str(batch.error)
