"""Slack sources end to end (real engine, model and store) against the fake Slack: what
the issue's "done when" asks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from sourcesync import actions, db, search_hits
from sourcesync.cli import app as cli_app
from sourcesync.connectors.slack.ids import slack_day_id, slack_thread_id
from sourcesync.connectors.slack.webhooks import sign
from sourcesync.embeddings import LocalEmbedder
from tests.fakes.slack import FakeSlack

from .conftest import Harness, SyncOutcome, running_harness

TOKEN_ENV = "SOURCESYNC_TEST_SLACK_TOKEN"
SECRET_ENV = "SOURCESYNC_TEST_SLACK_SECRET"
SECRET = "slack-signing-secret"


@dataclass
class Data:
    general: str
    pricing: str
    thread: str
    deep_reply: str
    aside: str


def small_workspace(slack: FakeSlack) -> Data:
    slack.add_user("U0ADA", "ada", display_name="Ada L")
    slack.add_user("U0DANA", "dana.w", display_name="Dana Whitfield")
    general = slack.add_channel("general", members=["U0ADA", "U0DANA"])
    pricing = slack.add_channel("pricing", private=True, members=["U0ADA", "U0DANA"])
    slack.post(general, "U0ADA", "The lighthouse lamp was trimmed at dusk.")
    aside = slack.post(general, "U0DANA", "Has anyone seen the spare wick for the lamp?")
    slack.tick(24 * 3600)
    slack.post(general, "U0ADA", "Storm shutters are closed for the night.")
    thread = slack.post(pricing, "U0ADA", "What did we decide about the pricing page?")
    deep_reply = ""
    for r in range(55):
        author = "U0DANA" if r % 2 else "U0ADA"
        text = f"reply {r}: tiers, seats and annual discounts for the pricing page"
        if r == 51:
            text = "Decision: we go with the gooseberry plan on the pricing page"
        ts = slack.post(pricing, author, text, thread_ts=thread)
        deep_reply = ts if r == 51 else deep_reply
    slack.tick(600)
    return Data(general, pricing, thread, deep_reply, aside)


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        monkeypatch.setenv(TOKEN_ENV, fake.token)
        monkeypatch.setenv(SECRET_ENV, SECRET)
        yield fake


@pytest.fixture
async def slack_harness(
    tmp_path: Path, slack: FakeSlack, local_embedder: LocalEmbedder
) -> AsyncIterator[tuple[Harness, Data]]:
    data = small_workspace(slack)
    async with running_harness(
        tmp_path, local_embedder, slack_api_url=slack.api_url, webhook_debounce_seconds=1
    ) as running:
        actions.add_source(
            running.services,
            "slack",
            {"token_env": TOKEN_ENV, "signing_secret_env": SECRET_ENV},
            name="slack",
        )
        yield running, data


def day_of(ts: str) -> Any:
    return datetime.fromtimestamp(float(ts), UTC).date()


async def test_a_word_said_only_in_a_deep_reply_finds_the_thread_with_its_author(
    slack_harness: tuple[Harness, Data],
) -> None:
    harness, data = slack_harness
    outcome = await harness.sync("slack")
    assert outcome.completed["status"] == "completed", outcome.completed
    thread = slack_thread_id(data.pricing, data.thread)
    hits = await search_hits.search(harness.services, "gooseberry plan", k=1)
    assert harness.name(hits[0].document_id) == thread
    document = harness.document(thread)
    assert document is not None
    with harness.services.reading() as session:
        content = db.get_document_content(session, document.workspace_id, document.id)
    assert content is not None
    [line] = [line for line in content.splitlines() if "gooseberry" in line]
    assert line.startswith("**Dana Whitfield**")
    # A private channel's documents carry its members; public ones are marked public.
    assert document.meta["visibility"] == "private"
    assert document.meta["members"] == ["U0ADA", "U0DANA", "U0BOT"]
    public = harness.document(slack_day_id(data.general, day_of(data.aside)))
    assert public is not None and public.meta["visibility"] == "public"


async def test_an_edit_and_a_delete_show_after_the_next_incremental_sync(
    slack_harness: tuple[Harness, Data], slack: FakeSlack
) -> None:
    harness, data = slack_harness
    await harness.sync("slack")
    slack.tick()
    slack.edit(data.pricing, data.deep_reply, "Decision: we go with the elderberry plan after all")
    slack.delete(data.general, data.aside)
    outcome = await harness.sync("slack")
    assert outcome.job["mode"] == "incremental"
    assert outcome.completed["metrics"]["documentsProcessed"] == 2  # the thread and the day
    await assert_edited_and_deleted(harness, data)


async def test_an_edit_and_a_delete_show_after_their_events(
    slack_harness: tuple[Harness, Data], slack: FakeSlack
) -> None:
    harness, data = slack_harness
    await harness.sync("slack")
    slack.tick()
    edited = slack.event_for(
        slack.edit(
            data.pricing, data.deep_reply, "Decision: we go with the elderberry plan after all"
        )
    )
    deleted = slack.event_for(slack.delete(data.general, data.aside))
    transport = httpx.ASGITransport(app=harness.runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        challenge = json.dumps({"type": "url_verification", "challenge": "c-123"}).encode()
        unsigned = await client.post("/webhooks/slack", content=challenge)
        assert unsigned.status_code == 401
        stamp = str(int(datetime.now(UTC).timestamp()))
        verified = await client.post(
            "/webhooks/slack",
            content=challenge,
            headers={
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": sign(SECRET, stamp, challenge),
            },
        )
        assert (verified.status_code, verified.json()) == (200, {"challenge": "c-123"})
        for body in (edited, deleted, edited):  # the last: Slack retrying the first
            stamp = str(int(datetime.now(UTC).timestamp()))
            headers = {
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": sign(SECRET, stamp, body),
                "Content-Type": "application/json",
            }
            response = await client.post("/webhooks/slack", content=body, headers=headers)
            assert response.status_code == 202, response.text
    engine = harness.runtime.engine
    changed = engine.state.list_events("apps-console/source.changed", 10)
    assert len(changed) == 2  # the retry was the same event
    outcome = await webhook_sync(harness)
    assert outcome.completed["status"] == "completed", outcome.completed
    await assert_edited_and_deleted(harness, data)


async def webhook_sync(harness: Harness) -> SyncOutcome:
    """The one sync that the debounced deliveries started, once it completed."""
    engine = harness.runtime.engine
    for _ in range(600):
        for _, sent, _ in engine.state.list_events("apps-console/sync.completed", 100):
            job = actions.job_view(harness.services, sent["data"]["jobId"])
            if job["trigger"] == "webhook":
                return SyncOutcome(job, sent["data"])
        await asyncio.sleep(0.1)
    raise AssertionError("no webhook sync completed")


async def assert_edited_and_deleted(harness: Harness, data: Data) -> None:
    thread = slack_thread_id(data.pricing, data.thread)
    hits = await search_hits.search(harness.services, "elderberry plan", k=1)
    assert harness.name(hits[0].document_id) == thread
    assert "elderberry" in hits[0].snippet or "Dana Whitfield" in hits[0].snippet
    # The deleted message is gone from its day (which keeps its other message).
    day = harness.document(slack_day_id(data.general, day_of(data.aside)))
    assert day is not None and day.status == "processed"
    with harness.services.reading() as session:
        content = db.get_document_content(session, day.workspace_id, day.id)
    assert content is not None and "lamp was trimmed" in content
    assert "spare wick" not in content
    hits = await search_hits.search(harness.services, "spare wick for the lamp", k=3)
    assert all("spare wick" not in hit.snippet for hit in hits)


def test_sources_add_slack_as_the_readme_says(
    tmp_path: Path, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_workspace(slack)
    monkeypatch.setenv("SOURCESYNC_HOME", str(tmp_path / "cli-home"))
    monkeypatch.setenv("SOURCESYNC_ENGINE_PORT", "1")
    monkeypatch.setenv("SOURCESYNC_SLACK_API_URL", slack.api_url)
    runner = CliRunner()
    help_text = runner.invoke(cli_app, ["sources", "add", "slack", "--help"]).output
    for flag in (
        "--channel",
        "--token-env",
        "--signing-secret-env",
        "--no-private",
        "--lookback-days",
    ):
        assert flag in help_text
    slack.scopes = tuple(s for s in slack.scopes if s != "channels:history")
    refused = runner.invoke(cli_app, ["sources", "add", "slack", "--token-env", TOKEN_ENV])
    assert refused.exit_code == 2
    assert "channels:history" in refused.output
    slack.scopes = ("channels:read", "channels:history", "users:read")
    added = runner.invoke(
        cli_app,
        [
            "sources",
            "add",
            "slack",
            "--token-env",
            TOKEN_ENV,
            "--no-private",
            "--channel",
            "general",
            "--json",
        ],
    )
    assert added.exit_code == 0, added.output
    first = json.loads(added.stdout)["firstSync"]
    assert first["status"] == "completed", first
    assert first["metrics"]["documentsProcessed"] == 2  # two days of #general
