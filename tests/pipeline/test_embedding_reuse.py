"""A chunk text already embedded in the namespace is never embedded again."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from sourcesync import actions, search_hits
from sourcesync.embeddings import Embedder, LocalEmbedder

from .conftest import FailingEmbedder, Harness, Repo, running_harness

GUIDE = "# Calibration\n\nThe flux capacitor is calibrated every Tuesday by the night shift.\n"
CODE = "def drain(queue):\n    while queue:\n        yield queue.pop()\n"


class CountingEmbedder(FailingEmbedder):
    """The real model, recording every text it is asked to embed."""

    def __init__(self, delegate: Embedder) -> None:
        super().__init__(delegate)
        self.texts: list[str] = []

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.texts.extend(texts)
        return await super().embed(texts)


@pytest.fixture
async def counted(
    tmp_path: Path, local_embedder: LocalEmbedder
) -> AsyncIterator[tuple[Harness, CountingEmbedder]]:
    embedder = CountingEmbedder(local_embedder)
    async with running_harness(tmp_path, embedder) as harness:
        harness.services.embedder = embedder
        yield harness, embedder


async def test_moved_and_copied_texts_are_not_embedded_again(
    counted: tuple[Harness, CountingEmbedder], repo: Repo
) -> None:
    harness, embedder = counted
    repo.write("docs/guide.md", GUIDE)
    repo.write("src/queue.py", CODE)
    repo.commit("initial")
    actions.add_source(harness.services, "git", {"path": str(repo.path)}, name="widgets")
    await harness.sync("widgets")
    assert len(embedder.texts) == 2

    (repo.path / "lib").mkdir()
    repo.git("mv", "src/queue.py", "lib/work_queue.py")
    repo.write("notes/copy-of-guide.md", GUIDE)
    repo.write("src/new.py", "def heartbeat():\n    return 'alive'\n")
    repo.commit("move, copy and add")
    outcome = await harness.sync("widgets")

    assert outcome.completed["status"] == "completed"
    assert embedder.texts[2:] == ["src/new.py\n\ndef heartbeat():\n    return 'alive'"]
    hits = await search_hits.search(harness.services, "drain a work queue", k=3)
    assert "lib/work_queue.py" in [hit.location for hit in hits]
    assert "src/queue.py" not in [hit.location for hit in hits]


async def test_chunks_are_embedded_under_their_path_and_indexed_by_keywords(
    counted: tuple[Harness, CountingEmbedder], repo: Repo
) -> None:
    harness, embedder = counted
    repo.write("src/worker_pool.py", CODE)
    repo.commit("initial")
    actions.add_source(harness.services, "git", {"path": str(repo.path)}, name="widgets")
    await harness.sync("widgets")

    assert embedder.texts == [f"src/worker_pool.py\n\n{CODE.rstrip()}"]
    [hit] = await search_hits.search(harness.services, "WorkerPool", k=1, mode="keyword")
    assert hit.location == "src/worker_pool.py" and hit.lines == "1-3"


class RenamedModel(CountingEmbedder):
    """The same model under another name: to the store, a new embedding."""

    @property
    def model_name(self) -> str:
        return f"{self.delegate.model_name}-renamed"


async def test_a_new_model_makes_the_next_sync_full_and_search_waits_for_it(
    counted: tuple[Harness, CountingEmbedder], repo: Repo
) -> None:
    harness, _ = counted
    repo.write("docs/guide.md", GUIDE)
    repo.write("src/queue.py", CODE)
    repo.commit("initial")
    actions.add_source(harness.services, "git", {"path": str(repo.path)}, name="widgets")
    await harness.sync("widgets")
    renamed = RenamedModel(harness.services.embedder)
    harness.services.embedder = renamed

    [hit] = await search_hits.search(harness.services, "flux capacitor calibration", k=1)
    assert hit.location == "docs/guide.md"  # from the previous model's store

    renamed.texts.clear()  # the query
    # Nothing changed, yet the sync is full: an incremental one would leave the new store
    # with the changed files alone, and searches would then see only those.
    outcome = await harness.sync("widgets")
    assert outcome.job["mode"] == "full"
    assert outcome.completed["metrics"]["filesProcessed"] == 2
    assert len(renamed.texts) == 2
    assert len(await harness.chunks()) == 2  # now in the new model's namespace

    renamed.texts.clear()
    again = await harness.sync("widgets")
    assert again.job["mode"] == "incremental"
    assert renamed.texts == []
