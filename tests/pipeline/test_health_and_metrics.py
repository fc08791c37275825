"""``/healthz`` and ``/readyz`` (open, saying only up or down) and ``/metrics`` (a token)."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import httpx
import pytest

from sourcesync import actions
from sourcesync.embeddings import LocalEmbedder

from .conftest import Harness, Repo, running_harness

METRICS_ENV = "SOURCESYNC_TEST_METRICS_TOKEN"


def open_client(harness: Harness) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=harness.runtime.app), base_url="http://api"
    )


async def test_the_probes_are_open_and_say_up_or_down(harness: Harness) -> None:
    async with open_client(harness) as client:
        health = await client.get("/healthz")
        ready = await client.get("/readyz")

    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok", "store": "ok", "engine": "ok"},
    }


async def test_readyz_is_503_naming_the_dependency_that_is_down(harness: Harness) -> None:
    await harness.runtime.engine.stop()
    try:
        async with open_client(harness) as client:
            ready = await client.get("/readyz")
    finally:
        await harness.runtime.engine.start()

    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": "ok", "store": "ok", "engine": "unavailable"}


async def test_metrics_are_off_without_a_token_setting(harness: Harness) -> None:
    async with open_client(harness) as client:
        answer = await client.get("/metrics")

    assert answer.status_code == 404
    assert "SOURCESYNC_METRICS_TOKEN_ENV" in answer.json()["error"]


async def test_metrics_count_syncs_files_chunks_embeds_and_webhooks(
    tmp_path: Path, local_embedder: LocalEmbedder, repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(METRICS_ENV, "metrics-secret")
    repo.write("README.md", "# Lighthouse\n\nThe keeper logs every passing ship.\n")
    repo.write("src/keeper.py", "def log_ship(name):\n    return name.upper()\n")
    repo.commit("initial")
    async with running_harness(tmp_path, local_embedder, metrics_token_env=METRICS_ENV) as harness:
        actions.add_source(harness.services, "git", {"path": str(repo.path)}, name="lighthouse")
        outcome = await harness.sync("lighthouse")
        body = b"{}"
        signature = "sha256=" + hmac.new(b"wrong", body, hashlib.sha256).hexdigest()
        async with open_client(harness) as client:
            await client.post(
                "/webhooks/github", content=body, headers={"X-Hub-Signature-256": signature}
            )
            await client.post("/webhooks/no-such-type", content=body)
            refused = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
            answer = await client.get(
                "/metrics", headers={"Authorization": "Bearer metrics-secret"}
            )

    assert refused.status_code == 401
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    samples = dict(
        line.rsplit(" ", 1) for line in answer.text.splitlines() if not line.startswith("#")
    )
    metrics = outcome.completed["metrics"]
    assert float(samples['sourcesync_syncs{status="completed"}']) == 1
    assert float(samples['sourcesync_syncs{status="failed"}']) == 0
    assert float(samples["sourcesync_files_processed_total"]) == metrics["filesProcessed"] == 2
    assert float(samples["sourcesync_chunks_embedded_total"]) == metrics["embeddingsCreated"]
    assert float(samples["sourcesync_queue_depth"]) == 0
    assert float(samples["sourcesync_embed_seconds_count"]) >= 1
    unsigned = 'sourcesync_webhook_deliveries_total{result="unsigned",source_type="github"}'
    assert float(samples[unsigned]) == 1
    unknown = 'sourcesync_webhook_deliveries_total{result="refused",source_type="unknown"}'
    assert float(samples[unknown]) == 1
