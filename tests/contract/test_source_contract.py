"""The contract every source keeps, run over each one in ``sources_under_test.SOURCES``
against its loopback fake: full sync, no-change re-sync, incremental change and delete,
bad credentials, webhook signatures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sourcesync import actions
from sourcesync.embeddings import LocalEmbedder
from tests.pipeline.conftest import Harness, running_harness

from .sources_under_test import SECRET, SECRET_ENV, SOURCE_NAME, SOURCES, Running, SourceUnderTest

pytestmark = pytest.mark.usefixtures("feed_source_installed")


@dataclass
class Contract:
    source: SourceUnderTest
    running: Running
    harness: Harness


@pytest.fixture(params=SOURCES, ids=lambda source: source.type)
async def contract(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    local_embedder: LocalEmbedder,
) -> AsyncIterator[Contract]:
    source: SourceUnderTest = request.param
    monkeypatch.setenv(SECRET_ENV, SECRET)
    with source.start(tmp_path, monkeypatch) as running:
        async with running_harness(
            tmp_path, local_embedder, max_file_bytes=100_000, **running.settings
        ) as harness:
            actions.add_source(harness.services, source.type, running.config, name=SOURCE_NAME)
            yield Contract(source, running, harness)


async def test_a_full_sync_stores_and_embeds_every_document(contract: Contract) -> None:
    outcome = await contract.harness.sync(SOURCE_NAME)
    metrics = outcome.completed["metrics"]
    assert outcome.completed["status"] == "completed", outcome.completed
    assert metrics["documentsProcessed"] == len(contract.running.names)
    assert set(await contract.harness.chunks()) == contract.running.names
    assert metrics["embeddingsCreated"] >= len(contract.running.names)


async def test_a_sync_without_changes_embeds_nothing(contract: Contract) -> None:
    await contract.harness.sync(SOURCE_NAME)
    again = await contract.harness.sync(SOURCE_NAME)
    assert again.completed["status"] == "completed"
    assert again.completed["metrics"]["documentsProcessed"] == 0
    assert again.completed["metrics"]["embeddingsCreated"] == 0


async def test_an_incremental_sync_embeds_changes_and_drops_deletions(contract: Contract) -> None:
    harness, source = contract.harness, contract.source
    await harness.sync(SOURCE_NAME)
    before = await harness.chunks()
    changed = source.change(contract.running)
    deleted = source.delete(contract.running) if source.deletes else None
    outcome = await harness.sync(SOURCE_NAME)
    metrics = outcome.completed["metrics"]
    assert outcome.job["mode"] == "incremental"
    assert metrics["documentsProcessed"] == 1
    after = await harness.chunks()
    assert changed in after
    unchanged = contract.running.names - {changed, deleted}
    assert {name: after[name] for name in unchanged} == {name: before[name] for name in unchanged}
    if deleted is not None:
        assert metrics["filesDeleted"] == 1
        assert deleted not in after


async def test_bad_credentials_fail_the_job_naming_the_variable(
    contract: Contract, monkeypatch: pytest.MonkeyPatch
) -> None:
    variable = contract.source.credential_env
    if variable is None:
        pytest.skip(f"{contract.source.type} sources have no credentials")
    monkeypatch.setenv(variable, "wrong-credential")
    outcome = await contract.harness.sync(SOURCE_NAME)
    assert outcome.completed["status"] == "failed"
    assert variable in str(outcome.completed["error"])


async def test_webhooks_need_the_sources_signature(contract: Contract) -> None:
    good = contract.source.delivery(contract.running, SECRET)
    async with contract.harness.api() as client:
        url = f"/webhooks/{contract.source.type}"
        if good is None:
            response = await client.post(url, content=b"{}")
            assert response.status_code == 404
            return
        forged = contract.source.delivery(contract.running, "not-the-secret")
        assert forged is not None
        refused = await client.post(url, content=forged.body, headers=forged.headers)
        assert refused.status_code == 401
        accepted = await client.post(url, content=good.body, headers=good.headers)
        assert accepted.status_code == 202
        assert accepted.json() == {"accepted": [SOURCE_NAME]}
