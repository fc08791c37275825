"""Screenshots of the dashboard's main pages for the docs (docs/dashboard-*.png).

    .venv/bin/python scripts/dashboard_screenshots.py

Syncs this repository's docs/ and README into a temporary home with the default embedder,
sends one event from the "Send event" form, then photographs the pages at 1280 px (and
one at phone width) in headless Chromium (Debian's /usr/bin/chromium, through Playwright).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.async_api import Page, async_playwright

from sourcesync import actions
from sourcesync.runtime import EmbeddedRuntime
from sourcesync.settings import Settings
from sourcesync.workflows.services import Services

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def build_repository(path: Path) -> None:
    """A small git repository: this project's README and docs."""
    shutil.copytree(DOCS, path / "docs", ignore=shutil.ignore_patterns("*.png"))
    shutil.copy(ROOT / "README.md", path / "README.md")
    for command in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.email=docs@example.com", "-c", "user.name=docs", "commit", "-qm", "docs"],
    ):
        subprocess.run(["git", *command], cwd=path, check=True)


async def shoot(page: Page, url: str, name: str) -> None:
    await page.goto(url)
    await page.wait_for_load_state("networkidle")
    await page.screenshot(path=DOCS / f"dashboard-{name}.png", full_page=False)
    print(f"docs/dashboard-{name}.png")


async def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        repo = Path(temp) / "sourcesync-docs"
        build_repository(repo)
        services = Services.from_settings(Settings(home=Path(temp) / "home", batch_size=5))
        runtime = EmbeddedRuntime(services)
        await runtime.start()
        try:
            actions.add_source(services, "git", {"path": str(repo)}, name="sourcesync-docs")
            job, event = actions.queue_sync(services, "sourcesync-docs", full=True, trigger="cli")
            await runtime.send(event.name, event.to_data())
            base = runtime.engine.url
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=FLAGS
                )
                page = await browser.new_page(viewport={"width": 1280, "height": 860})
                await page.goto(f"{base}/login")
                await page.get_by_label("API token").fill(actions.local_api_token(services))
                await page.get_by_role("button", name="Sign in").click()
                await page.wait_for_url(f"{base}/jobs")
                await page.goto(f"{base}/jobs/{job.id}")
                await page.locator('#job-status[data-status^="completed"]').wait_for(
                    timeout=300_000
                )
                await shoot(page, f"{base}/jobs/{job.id}", "job")
                await shoot(page, f"{base}/jobs", "jobs")
                await shoot(page, f"{base}/sources", "sources")
                await page.goto(f"{base}/jobs/{job.id}")
                await page.get_by_role("link", name="sync-orchestrator").click()
                await page.wait_for_url(f"{base}/runs/*")
                await shoot(page, page.url, "run")
                await shoot(page, f"{base}/runs", "runs")
                await shoot(page, f"{base}/events", "events")
                await shoot(page, f"{base}/functions", "functions")
                await shoot(page, f"{base}/search?q=how+does+the+engine+survive+a+crash", "search")
                phone = await browser.new_page(viewport={"width": 390, "height": 844})
                await phone.context.add_cookies(await page.context.cookies())
                await shoot(phone, f"{base}/jobs/{job.id}", "job-phone")
                await browser.close()
        finally:
            await runtime.stop()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
