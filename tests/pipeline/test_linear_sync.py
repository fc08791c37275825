"""Linear sources end to end, against a fake Linear serving the real schema."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from sourcesync import actions, search_hits
from sourcesync.connectors.linear.ids import linear_issue_id, linear_project_id
from sourcesync.embeddings import LocalEmbedder
from tests.fakes.linear import FakeLinear, Node

from .conftest import Harness, running_harness

KEY_ENV = "SOURCESYNC_TEST_LINEAR_KEY"
SECRET = "linear-webhook-secret"
SECRET_ENV = "SOURCESYNC_TEST_LINEAR_SECRET"


@pytest.fixture
def linear(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLinear]:
    with FakeLinear() as fake:
        monkeypatch.setenv(KEY_ENV, fake.api_key)
        monkeypatch.setenv(SECRET_ENV, SECRET)
        yield fake


class Data:
    def __init__(self, linear: FakeLinear) -> None:
        ada = linear.add_user("Ada")
        team = linear.add_team("ENG", "Engineering")
        self.project = linear.add_project("Caching", teams=[team], lead=ada, description="Fast")
        linear.tick()
        self.epic = linear.add_issue(team, "Rework the cache", project=self.project, assignee=ada)
        linear.tick()
        self.child = linear.add_issue(team, "Evict stale entries", parent=self.epic)
        linear.tick()
        self.outage = linear.add_issue(team, "Nightly job timeouts")
        linear.add_comment(
            self.outage, ada, "Root cause: the warehouse replica ran out of disk space."
        )
        linear.tick()
        self.other = linear.add_issue(team, "Dark mode for settings")
        linear.tick(timedelta(minutes=30))


@pytest.fixture
async def linear_harness(
    tmp_path: Path, linear: FakeLinear, local_embedder: LocalEmbedder
) -> AsyncIterator[tuple[Harness, Data]]:
    data = Data(linear)
    async with running_harness(tmp_path, local_embedder, linear_api_url=linear.url) as running:
        actions.add_source(
            running.services,
            "linear",
            {"token_env": KEY_ENV, "webhook_secret_env": SECRET_ENV},
            name="linear",
        )
        yield running, data


def issue(node: Node) -> str:
    return linear_issue_id(str(node["id"]))


async def test_full_then_incremental_sync_of_issues_projects_and_comments(
    linear_harness: tuple[Harness, Data], linear: FakeLinear
) -> None:
    harness, data = linear_harness
    first = await harness.sync("linear")
    assert first.completed["status"] == "completed", first.completed
    assert first.completed["metrics"]["documentsProcessed"] == 5  # 4 issues, 1 project
    chunks = await harness.chunks()
    assert issue(data.epic) in chunks and linear_project_id(str(data.project["id"])) in chunks
    child = harness.document(issue(data.child))
    assert child is not None and child.meta["parent"]["id"] == data.epic["id"]
    hits = await search_hits.search(harness.services, "replica disk space", k=1)
    assert harness.name(hits[0].document_id) == issue(data.outage)

    linear.update_issue(str(data.other["id"]), title="Dark mode everywhere")
    linear.add_comment(data.child, None, "Use an LRU policy for the eviction.")
    linear.tick()
    linear.archive_issue(str(data.epic["id"]))
    linear.tick()
    second = await harness.sync("linear")
    metrics = second.completed["metrics"]
    assert second.job["mode"] == "incremental"
    # The renamed issue, the commented one, and the project, whose issue list lost the epic.
    assert metrics["documentsProcessed"] == 3
    assert metrics["filesDeleted"] == 1  # the archived epic
    after = await harness.chunks()
    assert issue(data.epic) not in after
    hits = await search_hits.search(harness.services, "LRU eviction policy", k=1)
    assert harness.name(hits[0].document_id) == issue(data.child)


async def test_linear_webhooks_are_verified_then_debounced_into_a_sync(
    linear_harness: tuple[Harness, Data],
) -> None:
    harness, data = linear_harness
    body = json.dumps(
        {
            "action": "update",
            "type": "Issue",
            "data": {"id": data.other["id"], "title": "Dark mode everywhere"},
            "webhookTimestamp": int(time.time() * 1000),
        }
    ).encode()
    good = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    async with harness.api() as client:
        bad = await client.post(
            "/webhooks/linear", content=body, headers={"Linear-Signature": "0" * 64}
        )
        assert bad.status_code == 401
        engine = harness.runtime.engine
        assert engine.state.list_events("apps-console/source.changed", 5) == []
        accepted = await client.post(
            "/webhooks/linear", content=body, headers={"Linear-Signature": good}
        )
        assert accepted.status_code == 202
    [(_, changed, _)] = engine.state.list_events("apps-console/source.changed", 5)
    assert changed["data"]["sourceType"] == "linear"


async def test_a_bad_key_fails_the_job_at_once(
    linear_harness: tuple[Harness, Data], monkeypatch: pytest.MonkeyPatch
) -> None:
    harness, _ = linear_harness
    monkeypatch.setenv(KEY_ENV, "lin_api_wrong")
    outcome = await harness.sync("linear")
    assert outcome.completed["status"] == "failed"
    assert KEY_ENV in str(outcome.completed["error"])


async def test_a_remove_webhook_deletes_the_document_and_its_vectors(
    linear_harness: tuple[Harness, Data],
) -> None:
    harness, data = linear_harness
    await harness.sync("linear")
    assert issue(data.outage) in await harness.chunks()
    body = json.dumps(
        {
            "action": "remove",
            "type": "Issue",
            "data": {"id": data.outage["id"]},
            "webhookTimestamp": int(time.time() * 1000),
        }
    ).encode()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    async with harness.api() as client:
        response = await client.post(
            "/webhooks/linear", content=body, headers={"Linear-Signature": signature}
        )
    assert response.status_code == 202
    engine = harness.runtime.engine
    [(removed_id, _, _)] = engine.state.list_events("apps-console/documents.removed", 5)
    [run] = await engine.wait_for_runs(removed_id)
    run = await engine.wait_for_run(run.id)
    assert run.output == {"documentsDeleted": 1, "chunksDeleted": run.output["chunksDeleted"]}
    assert run.output["chunksDeleted"] >= 1
    assert issue(data.outage) not in await harness.chunks()
    document = harness.document(issue(data.outage))
    assert document is not None and document.status == "deleted"
