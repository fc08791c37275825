"""A sync that runs past its timeout fails, with a message naming the setting to raise."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from sourcesync import actions
from sourcesync.embeddings import LocalEmbedder

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
