"""The dashboard in a real browser (headless Chromium): a sync watched live from
"Sync now" to its metrics, its trace and a run's steps; a sleeping run cancelled, a failed
one rerun, an event sent from the form, a search."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import inngest
import inngest.fast_api
import pytest
from fastapi import FastAPI
from playwright.async_api import Page, expect

from sourcesync import actions
from sourcesync.embeddings import Embedder, LocalEmbedder
from sourcesync.keys import engine_keys
from tests.pipeline.conftest import Harness, Repo, running_harness

from .browser import chromium, sign_in
from .conftest import build_repo

pytestmark = pytest.mark.browser
WAIT_MS = 60_000
expect.set_options(timeout=WAIT_MS)


class SlowEmbedder:
    """The real model, a little slower per call, so that a sync is watched while it runs."""

    def __init__(self, delegate: Embedder) -> None:
        self.delegate = delegate

    def __getattr__(self, name: str) -> object:
        return getattr(self.delegate, name)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        await asyncio.sleep(0.5)
        return await self.delegate.embed(texts)


async def serve_demo_app(harness: Harness) -> None:
    """A second app on the engine: a function that sleeps an hour, and one whose first
    attempt fails for good (so that a rerun succeeds)."""
    engine = harness.runtime.engine
    keys = engine_keys(harness.services.settings.home)
    client = inngest.Inngest(
        app_id="demo",
        is_production=True,
        signing_key=keys.signing_key,
        event_key=keys.event_key,
        api_base_url=engine.url,
        event_api_base_url=engine.url,
    )
    attempts: list[int] = []

    @client.create_function(fn_id="sleeper", trigger=inngest.TriggerEvent(event="demo/sleep"))
    async def sleeper(ctx: inngest.Context) -> str:
        await ctx.step.run("get-ready", lambda: "ready")
        await ctx.step.sleep("nap", datetime.timedelta(hours=1))
        return "woke"

    def work() -> dict[str, int]:
        attempts.append(1)
        if len(attempts) == 1:
            raise inngest.NonRetriableError("the first attempt fails for good")
        return {"attempt": len(attempts)}

    @client.create_function(
        fn_id="flaky", retries=0, trigger=inngest.TriggerEvent(event="demo/flaky")
    )
    async def flaky(ctx: inngest.Context) -> dict[str, int]:
        return await ctx.step.run("work", work)

    app = FastAPI()
    inngest.fast_api.serve(app, client, [sleeper, flaky])
    await engine.register_app(app, origin="http://demo.embedded")


@pytest.fixture
async def running(
    tmp_path: Path, local_embedder: LocalEmbedder, repo: Repo
) -> AsyncIterator[tuple[Harness, Page]]:
    build_repo(repo)
    async with running_harness(tmp_path, SlowEmbedder(local_embedder), batch_size=1) as harness:
        actions.add_source(harness.services, "git", {"path": str(repo.path)}, name="widgets")
        await serve_demo_app(harness)
        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(WAIT_MS)
            await sign_in(
                page, harness.runtime.engine.url, actions.local_api_token(harness.services)
            )
            yield harness, page


async def send_from_form(page: Page, base: str, name: str) -> None:
    await page.goto(f"{base}/send")
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Data (a JSON object)").fill('{"from": "the browser"}')
    await page.get_by_role("button", name="Send").click()
    await page.wait_for_url(f"{base}/events/*")


async def test_a_sync_is_watched_live_then_traced(running: tuple[Harness, Page]) -> None:
    harness, page = running
    base = harness.runtime.engine.url
    await page.goto(f"{base}/sources")
    await page.get_by_role("button", name="Sync now").click()
    await page.wait_for_url(f"{base}/jobs/*")
    status = page.locator("#job-status")
    assert await status.get_attribute("data-status") in ("queued", "running")
    await expect(page.locator("progress").first).to_be_visible()
    # No reload: the page refreshes itself until the job ends.
    await expect(status).to_have_attribute("data-status", "completed")
    await expect(page.locator('[data-metric="filesProcessed"]')).to_have_text("4")
    await expect(page.locator('[data-metric="documentsProcessed"]')).to_have_text("4")
    labels = await page.locator(".tl-label").all_inner_texts()
    assert labels[:3] == ["sync-orchestrator", "store-ensure", "git-sync"]
    assert sum(label.startswith("files-batch-processor #") for label in labels) == 4

    await page.get_by_role("link", name="sync-orchestrator").click()
    await page.wait_for_url(f"{base}/runs/*")
    steps = await page.locator(".step-head strong").all_inner_texts()
    assert steps[:5] == [
        "create-job",
        "ensure-store",
        "validate-source",
        "sync-git",
        "collect-metrics",
    ]

    await page.goto(f"{base}/search")
    await page.get_by_label("Query").fill("flux capacitor calibration")
    await page.get_by_role("button", name="Search").click()
    await expect(page.locator(".hit").first).to_contain_text("docs/guide.md")


async def test_runs_are_cancelled_and_rerun_from_their_page(
    running: tuple[Harness, Page],
) -> None:
    harness, page = running
    base = harness.runtime.engine.url

    await send_from_form(page, base, "demo/sleep")
    await expect(page.locator("pre.json")).to_contain_text("the browser")
    await page.locator("td a[href^='/runs/']").first.click()
    await expect(page.locator(".deadline")).to_contain_text("Sleeps until")
    await page.get_by_role("button", name="Cancel").click()
    await expect(page.locator("h1 .badge")).to_have_text("Cancelled")

    await send_from_form(page, base, "demo/flaky")
    await page.locator("td a[href^='/runs/']").first.click()
    await expect(page.locator("h1 .badge")).to_have_text("Failed")
    await expect(page.locator("main")).to_contain_text("the first attempt fails for good")
    failed_url = page.url
    await page.get_by_role("button", name="Rerun").click()
    await page.wait_for_url(lambda url: url != failed_url and "/runs/" in url)
    await expect(page.locator("h1 .badge")).to_have_text("Completed")
