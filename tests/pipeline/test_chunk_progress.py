"""Progress moves while a batch's chunks are embedded, not only when the batch ends."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from sourcesync import actions, db
from sourcesync.embeddings import Embedder, LocalEmbedder
from sourcesync.workflows import document_batches
from sourcesync.workflows.services import Services

from .conftest import Repo, running_harness


class ProgressProbe:
    """The real model; before each call it notes the job's progress in the database."""

    def __init__(self, delegate: Embedder) -> None:
        self.delegate = delegate
        self.services: Services | None = None
        self.seen: list[dict[str, dict[str, int]]] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.delegate, name)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        assert self.services is not None
        with self.services.reading() as session:
            [job] = db.list_jobs(session, actions.workspace_id(self.services), limit=1)
            self.seen.append(actions.job_progress(job))
        return await self.delegate.embed(texts)


async def test_chunks_embedded_move_during_one_large_batch(
    tmp_path: Path,
    local_embedder: LocalEmbedder,
    repo: Repo,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(document_batches, "PROGRESS_EVERY_S", 0.0)
    sections = [
        f"## Part {n}\n\n" + " ".join(f"widget{n} sprocket{i} calibrates" for i in range(60))
        for n in range(40)
    ]
    repo.write("manual.md", "# Manual\n\n" + "\n\n".join(sections) + "\n")
    repo.commit("one long document")
    probe = ProgressProbe(local_embedder)
    async with running_harness(tmp_path, probe, max_file_bytes=1_000_000) as harness:
        probe.services = harness.services
        actions.add_source(harness.services, "git", {"path": str(repo.path)}, name="manual")
        outcome = await harness.sync("manual")

    chunks = outcome.job["metrics"]["embeddingsCreated"]
    calls = -(-chunks // document_batches.EMBED_SLICE)
    assert chunks > 2 * document_batches.EMBED_SLICE
    assert len(probe.seen) == calls  # one embedder call per slice of chunks
    # Before the second call, the first slice is counted while the batch is unfinished.
    assert probe.seen[1]["chunks"] == {"done": document_batches.EMBED_SLICE, "total": chunks}
    assert probe.seen[-1]["documents"]["done"] == 0
    assert outcome.job["progress"]["chunks"] == {"done": chunks, "total": chunks}
