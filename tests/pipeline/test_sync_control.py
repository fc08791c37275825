"""One sync per source at a time, and cancel that stops work."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from sourcesync import actions, db
from sourcesync.embeddings import Embedder, LocalEmbedder, OpenAICompatibleEmbedder
from tests.fakes.openai_embeddings import FakeOpenAIEmbeddings

from .conftest import FailingEmbedder, Harness, Repo, running_harness


class GatedEmbedder(FailingEmbedder):
    """The real model, once ``gate`` is open; ``waiting`` is set when a call is held.

    Threading events: the app's calls run on worker threads, each with its own loop.
    """

    def __init__(self, delegate: Embedder) -> None:
        super().__init__(delegate)
        self.gate = threading.Event()
        self.waiting = threading.Event()

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.waiting.set()
        await asyncio.to_thread(self.gate.wait, 60)
        return await super().embed(texts)


@pytest.fixture
async def gated(tmp_path: Path, local_embedder: LocalEmbedder) -> AsyncIterator[Harness]:
    async with running_harness(tmp_path, local_embedder, batch_size=2) as harness:
        harness.services.embedder = GatedEmbedder(local_embedder)
        yield harness


def embedder(harness: Harness) -> GatedEmbedder:
    gate = harness.services.embedder
    assert isinstance(gate, GatedEmbedder)
    return gate


def many_files(repo: Repo, count: int = 8) -> None:
    for n in range(count):
        repo.write(f"notes/{n}.md", f"# Note {n}\n\nThe keeper wrote note number {n}.\n")
    repo.commit("notes")


async def request(harness: Harness, source: str, *, full: bool = False) -> str:
    job, event = actions.queue_sync(harness.services, source, full=full, trigger="cli")
    await harness.runtime.send(event.name, event.to_data())
    return job.id


async def ended(harness: Harness, job_id: str) -> dict[str, object]:
    for _ in range(1200):
        view = actions.job_view(harness.services, job_id)
        if view["status"] not in ("queued", "running"):
            return view
        await asyncio.sleep(0.1)
    raise AssertionError(f"job {job_id} did not end")


async def test_a_second_sync_of_a_source_waits_for_the_first(gated: Harness, repo: Repo) -> None:
    many_files(repo)
    actions.add_source(gated.services, "git", {"path": str(repo.path)}, name="lh")
    first = await request(gated, "lh")
    assert await asyncio.to_thread(embedder(gated).waiting.wait, 60)

    second = await request(gated, "lh")
    third = await request(gated, "lh", full=True)
    assert third == second, "a request joins the sync already waiting"
    await asyncio.sleep(1)
    assert actions.job_view(gated.services, second)["status"] == "queued"

    embedder(gated).gate.set()
    one, two = await ended(gated, first), await ended(gated, second)
    assert (one["status"], two["status"]) == ("completed", "completed")
    assert str(two["startedAt"]) >= str(one["finishedAt"]), "the two syncs overlapped"
    assert two["mode"] == "full"
    metrics = two["metrics"]
    assert isinstance(metrics, dict) and metrics["filesSkipped"] == 8  # all unchanged


async def test_cancel_stops_the_work_of_a_running_sync(gated: Harness, repo: Repo) -> None:
    many_files(repo)
    actions.add_source(gated.services, "git", {"path": str(repo.path)}, name="lh")
    job_id = await request(gated, "lh")
    assert await asyncio.to_thread(embedder(gated).waiting.wait, 60)

    _, event = actions.cancel_job(gated.services, job_id)
    await gated.runtime.send(event.name, event.to_data())
    embedder(gated).gate.set()
    await asyncio.sleep(3)

    view = actions.job_view(gated.services, job_id)
    assert view["status"] == "cancelled"
    metrics = view["metrics"]
    assert isinstance(metrics, dict) and metrics["documentsProcessed"] == 0
    with gated.services.reading() as session:
        source = db.require_source(session, "default", "lh")
        assert source.cursor is None, "a cancelled sync moved the cursor"
        processed = db.document_statuses(
            session, "default", db.list_document_ids(session, "default", source.id)
        )
    assert db.DocumentStatus.PROCESSED not in processed.values()
    runs = gated.runtime.engine.state.list_runs(limit=100)
    assert all(run.status != "Running" for run in runs), [run.status for run in runs]
    with pytest.raises(actions.JobEndedError):
        actions.cancel_job(gated.services, job_id)

    again = await request(gated, "lh")
    assert (await ended(gated, again))["status"] == "completed"


async def test_an_embedder_that_stops_answering_shows_as_a_stall(
    tmp_path: Path, repo: Repo
) -> None:
    repo.write("README.md", "# Lighthouse\n\nThe keeper logs every passing ship.\n")
    repo.commit("initial")
    with FakeOpenAIEmbeddings(dimension=16) as endpoint:
        endpoint.fail_next(503, delay_s=8)  # hangs, then fails; the retry is answered
        slow = OpenAICompatibleEmbedder(
            base_url=endpoint.base_url, model="fake-embedding", dimension=16, backoff_s=0.1
        )
        async with running_harness(tmp_path, slow, stall_after_seconds=1) as harness:
            actions.add_source(harness.services, "git", {"path": str(repo.path)}, name="lh")
            job_id = await request(harness, "lh")
            stalled = None
            for _ in range(100):
                stalled = actions.job_view(harness.services, job_id)["stalled"]
                if stalled:
                    break
                await asyncio.sleep(0.1)
            assert stalled is not None
            assert stalled.startswith("stalled: the embedder not answering since ")
            view = await ended(harness, job_id)
    assert view["status"] == "completed"
    assert view["stalled"] is None
