"""Vercel sources end to end, against the fake Vercel: the issue's "done when".

Searches find the failing deployment with its log lines and the project that sets a
variable for a target; the project document's build duration p50/p95 match the fake's
data exactly; and no env var value nor any secret printed in a build log is anywhere in
the database, the vector store, the engine's events and step outputs, or the logs.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sourcesync import actions, search_hits
from sourcesync.connectors.vercel import (
    vercel_build_log_id,
    vercel_deployment_id,
    vercel_project_id,
)
from sourcesync.embeddings import LocalEmbedder
from sourcesync.workflows.store_ensure import namespace_for
from tests.fakes.vercel import (
    ENV_VALUES,
    LOG_SECRETS,
    FakeVercel,
    TeamData,
    failing_log,
    populate,
    sign,
)

from .conftest import Harness, SyncOutcome, running_harness

TOKEN_ENV = "SOURCESYNC_TEST_VERCEL_TOKEN"
SECRET_ENV = "SOURCESYNC_TEST_VERCEL_SECRET"
SECRET = "vercel-webhook-secret"
WINDOW = 50  # VercelSettings.stats_window
SECRETS = (*ENV_VALUES, *LOG_SECRETS)


@pytest.fixture
def vercel(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeVercel]:
    with FakeVercel() as fake:
        monkeypatch.setenv(TOKEN_ENV, fake.token)
        monkeypatch.setenv(SECRET_ENV, SECRET)
        yield fake


@pytest.fixture
async def harness(
    tmp_path: Path, vercel: FakeVercel, local_embedder: LocalEmbedder
) -> AsyncIterator[Harness]:
    async with running_harness(tmp_path, local_embedder, vercel_api_url=vercel.url) as running:
        yield running


def _add(harness: Harness, **config: Any) -> None:
    actions.add_source(
        harness.services,
        "vercel",
        {"token_env": TOKEN_ENV, "team": "acme", "webhook_secret_env": SECRET_ENV, **config},
        name="vercel",
    )


def expected_stats(fake: FakeVercel, project_id: str) -> dict[str, tuple[int, int]]:
    """p50/p95 per target, recomputed from the fake's raw deployments (nearest rank over
    the successful builds among the last WINDOW finished deployments of each target)."""
    finished: dict[str, list[dict[str, Any]]] = {}
    for item in sorted(fake.deployments.values(), key=lambda d: -d["created"]):
        if item["projectId"] == project_id and item["state"] in ("READY", "ERROR", "CANCELED"):
            finished.setdefault(item["target"] or "preview", []).append(item)
    result = {}
    for target, items in finished.items():
        durations = sorted(
            d["ready"] - d["buildingAt"] for d in items[:WINDOW] if d["state"] == "READY"
        )
        result[target] = (_nearest_rank(durations, 50), _nearest_rank(durations, 95))
    return result


def _nearest_rank(ordered: list[int], p: int) -> int:
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def assert_stats_match(harness: Harness, fake: FakeVercel, data: TeamData) -> None:
    for project in data.projects.values():
        document = harness.document(vercel_project_id(project["id"]))
        assert document is not None
        stats = document.meta["build_stats"]
        expected = expected_stats(fake, project["id"])
        assert {t: (s["p50_ms"], s["p95_ms"]) for t, s in stats.items()} == expected
        content = _content(harness, vercel_project_id(project["id"]))
        for p50, p95 in expected.values():
            assert (
                f"p50 {p50 / 1000:.1f} s ({p50} ms), p95 {p95 / 1000:.1f} s ({p95} ms)" in content
            )


def _content(harness: Harness, name: str) -> str:
    from sourcesync import db

    workspace = actions.workspace_id(harness.services)
    with harness.services.reading() as session:
        content = db.get_document_content(session, workspace, harness.scoped(name))
    assert content is not None
    return content


def _secrets_in_files(root: Path) -> list[str]:
    found: list[str] = []
    for path in root.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            found += [f"{s} in {path}" for s in SECRETS if s.encode() in raw]
    return found


async def assert_no_secret_stored(harness: Harness, tmp_path: Path, logs: str) -> None:
    """Scan every file the runtime wrote (database, engine state with its events and step
    outputs, vector store), every chunk the store returns, and the captured logs."""
    found = _secrets_in_files(tmp_path)
    workspace = actions.workspace_id(harness.services)
    namespace = namespace_for(workspace, harness.services.embedder.model_name)
    vector = [1.0] + [0.0] * (harness.services.embedder.dimension - 1)
    hits = await harness.services.vectors.query(namespace, workspace, vector, 100_000)
    assert hits
    chunks = "\n".join(f"{h.title}\n{h.url}\n{h.text}" for h in hits)
    found += [f"{s} in a chunk" for s in SECRETS if s in chunks]
    engine = harness.runtime.engine.state
    events = repr(engine.list_events(None, 100_000))
    steps = repr([engine.steps(run.id) for run in engine.list_runs(limit=10_000)])
    found += [f"{s} in events or steps" for s in SECRETS if s in events + steps]
    found += [f"{s} in the logs" for s in SECRETS if s in logs]
    assert not found, found


async def test_searches_find_the_failed_build_and_the_variable_for_a_target(
    harness: Harness, vercel: FakeVercel
) -> None:
    data = populate(vercel, {"checkout": 15, "docs": 6})
    _add(harness)
    outcome = await harness.sync("vercel")
    assert outcome.completed["status"] == "completed", outcome.completed

    hits = await search_hits.search(harness.services, "build failed module not found", k=3)
    top = harness.document(harness.name(hits[0].document_id))
    assert top is not None and top.meta["state"] == "ERROR"
    assert "Module not found" in _content(harness, harness.name(hits[0].document_id))

    hits = await search_hits.search(harness.services, "NEXT_PUBLIC_API_URL preview", k=3)
    projects = {vercel_project_id(p["id"]) for p in data.projects.values()}
    [first_project] = [
        harness.name(h.document_id) for h in hits if harness.name(h.document_id) in projects
    ][:1]
    assert "NEXT_PUBLIC_API_URL: preview, development" in _content(harness, first_project)

    hits = await search_hits.search(harness.services, "which commit broke the checkout build", k=5)
    assert any("acme/checkout@" in _content(harness, harness.name(h.document_id)) for h in hits), (
        "a deployment with the commit it was built from"
    )

    assert_stats_match(harness, vercel, data)


async def test_no_env_var_value_or_log_secret_is_stored_anywhere(
    harness: Harness,
    vercel: FakeVercel,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    data = populate(vercel, {"checkout": 12, "docs": 4}, building=True)
    _add(harness)
    first = await harness.sync("vercel")
    assert first.completed["status"] == "completed", first.completed

    # An incremental sync after a webhook: the building deployment failed, a new one too.
    building = data.deployments["checkout"][-1]
    vercel.finish(building, "ERROR", 70_000)
    vercel.events[building] = [
        {"type": "stderr", "created": 1, "payload": {"text": f"DATABASE_URL={ENV_VALUES[1]}"}},
        {"type": "stderr", "created": 2, "payload": {"text": "Error: migrations failed"}},
    ]
    new = vercel.add_deployment(
        data.projects["checkout"], state="ERROR", sha="d" * 40, log=failing_log(40)
    )
    body = (
        b'{"id":"uev_e2e","type":"deployment.error","payload":{"team":{"id":"'
        + vercel.team_id.encode()
        + b'"},"deployment":{"id":"'
        + new["uid"].encode()
        + b'"}}}'
    )
    transport = httpx.ASGITransport(app=harness.runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        reply = await client.post(
            "/webhooks/vercel", content=body, headers={"x-vercel-signature": sign(SECRET, body)}
        )
    assert reply.status_code == 202, reply.text
    second = await harness.sync("vercel")
    assert second.completed["status"] == "completed", second.completed
    assert second.job["mode"] == "incremental"
    chunks = await harness.chunks()
    assert vercel_build_log_id(building) in chunks and vercel_deployment_id(new["uid"]) in chunks
    assert "migrations failed" in _content(harness, vercel_deployment_id(building))

    await assert_no_secret_stored(harness, tmp_path, caplog.text)


async def test_a_bad_token_fails_the_job_with_a_clear_message(
    harness: Harness, vercel: FakeVercel, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(vercel, {"checkout": 2})
    monkeypatch.setenv(TOKEN_ENV, "wrong")
    with pytest.raises(Exception, match=f"rejected the token in {TOKEN_ENV}"):
        _add(harness)


async def _sync_patiently(harness: Harness, timeout_s: float = 800) -> SyncOutcome:
    """``Harness.sync`` with more patience: 320 deployments take minutes on a small CPU."""
    job, event = actions.queue_sync(harness.services, "vercel", full=False, trigger="cli")
    await harness.runtime.send(event.name, event.to_data())
    state = harness.runtime.engine.state
    for _ in range(int(timeout_s * 2)):
        for _, sent, _ in state.list_events("apps-console/sync.completed", 100):
            if sent["data"]["jobId"] == job.id:
                return SyncOutcome(actions.job_view(harness.services, job.id), sent["data"])
        await asyncio.sleep(0.5)
    raise AssertionError(f"job {job.id} did not complete in {timeout_s} s")


@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_320_deployments_stats_are_exact_and_nothing_secret_is_stored(
    harness: Harness,
    vercel: FakeVercel,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    data = populate(vercel, {"checkout": 180, "docs": 90, "api": 50})
    vercel.fail_next(429, {"Retry-After": "0"}, path="/v6/deployments")
    vercel.fail_next(503, path="/v3/deployments/")
    # Build logs are left out to halve the embedding work: the failed builds' error lines
    # (with their secrets redacted) are still in the deployment documents.
    _add(harness, keep=1000, build_logs=False)
    outcome = await _sync_patiently(harness)
    assert outcome.completed["status"] == "completed", outcome.completed
    assert len(vercel.deployments) == 320
    assert outcome.completed["metrics"]["documentsProcessed"] == 320 + 3
    paged = [r for r in vercel.requests if r.path == "/v6/deployments" and "until" in r.query]
    assert paged  # checkout's 180 deployments take two pages
    assert_stats_match(harness, vercel, data)
    await assert_no_secret_stored(harness, tmp_path, caplog.text)
