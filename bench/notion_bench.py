"""A 2,000-page Notion workspace through the fake Notion, embedding replaced by a no-op.

    .venv/bin/python bench/notion_bench.py [--pages 2000] [--rounds 3]

Prints pages/s of a full sync (listing, block trees, transform, store, orchestration:
engine, SQLite, LanceDB) beside a plain loop that fetches the same pages and blocks through
the same client (the floor), as a ratio. The fake runs in a process of its own, as Notion
would; it has no rate limit, so both sides run unthrottled (`set_limit(..., rate=0)`):
against Notion both would be held to about 3 requests a second, and the ratio would be the
ratio of their request counts, also printed.

Each round measures the floor and a full sync (into a fresh home) back to back, in
alternating order; the ratio reported is the median of the rounds'.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.noop_embedder import NoopEmbedder
from sourcesync import actions
from sourcesync.connectors.notion.client import NotionClient
from sourcesync.connectors.notion.pagination import collect
from sourcesync.connectors.notion.rate_limits import set_limit
from sourcesync.connectors.notion.settings import NotionSettings
from sourcesync.connectors.notion.source import NotionSource
from sourcesync.runtime import EmbeddedRuntime
from sourcesync.settings import Settings
from sourcesync.workflows.services import Services
from tests.fakes.notion import FakeNotion, block, paragraph, toggle

TOKEN_ENV = "SOURCESYNC_BENCH_NOTION_TOKEN"
TOKEN = FakeNotion.token


def seed(fake: FakeNotion, pages: int) -> None:
    """Ten sections, a database with half the pages as rows, the rest as section children;
    every page has a heading, a paragraph, a toggle and a nested list (3 block lists)."""

    def content(n: int) -> list[dict[str, object]]:
        return [
            block("heading_2", f"Entry {n}"),
            paragraph(f"Entry {n} records the tide, the wind and the ships that passed."),
            toggle("Details", [paragraph(f"Barometer {1000 + n % 40} hPa."), paragraph("Calm.")]),
            block("bulleted_list_item", "Checks", [block("bulleted_list_item", "Lens polished")]),
        ]

    sections = [fake.add_page(f"Section {s}", blocks=content(s)) for s in range(10)]
    _, rows_source = fake.add_database("Logbook", sections[0], {})
    rows = pages // 2
    for n in range(rows):
        fake.add_page(f"Log {n}", rows_source, properties={}, blocks=content(n))
    for n in range(pages - rows - len(sections)):
        fake.add_page(f"Note {n}", sections[n % len(sections)], blocks=content(n))


class RemoteFake:
    """The fake Notion served by another process, as Notion would be."""

    def __init__(self, pages: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(pages)], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def serve_fake(pages: int) -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    with FakeNotion() as fake:
        seed(fake, pages)
        print(fake.url, flush=True)
        signal.sigwait({signal.SIGTERM})


def plain_loop(url: str) -> tuple[float, int, int]:
    """Every page of search, then every block list of every page, one request at a time:
    (seconds, pages, requests)."""

    async def run() -> tuple[int, int]:
        client = NotionClient(NotionSettings(api_url=url, token_env=TOKEN_ENV))
        try:
            found = await collect(lambda cursor: client.search("page", cursor))
            for page in found:
                pending = [str(page["id"])]
                while pending:
                    parent = pending.pop()
                    for child in await collect(
                        lambda cursor, parent=parent: client.block_children(parent, cursor)
                    ):
                        if child.get("has_children") and child["type"] != "child_page":
                            pending.append(str(child["id"]))
            return len(found), client.requests
        finally:
            await client.aclose()

    started = time.perf_counter()
    pages, requests = asyncio.run(run())
    return time.perf_counter() - started, pages, requests


def connector_requests(url: str) -> int:
    """Requests the connector makes for one full sync, for comparison with the floor's."""
    source = NotionSource(
        workspace_id="bench",
        source_id="bench",
        settings=NotionSettings(api_url=url, token_env=TOKEN_ENV),
    )
    try:
        for _ in source.changes(None):
            pass
        return source.client.requests
    finally:
        source.close()


async def full_sync(root: Path, url: str) -> tuple[float, dict[str, object]]:
    services = Services.from_settings(Settings(home=root / "home", notion_api_url=url))
    services.embedder = NoopEmbedder()
    runtime = EmbeddedRuntime(services)
    await runtime.start()
    try:
        actions.add_source(services, "notion", {"token_env": TOKEN_ENV}, name="wiki")
        job, event = actions.queue_sync(services, "wiki", full=True, trigger="cli")
        started = time.perf_counter()
        await runtime.send(event.name, event.to_data())
        while True:
            view = actions.job_view(services, job.id)
            if view["status"] not in ("queued", "running"):
                return time.perf_counter() - started, view
            await asyncio.sleep(0.05)
    finally:
        await runtime.stop()


def main(pages: int, rounds: int) -> None:
    os.environ[TOKEN_ENV] = TOKEN
    ratios: list[float] = []
    notion = RemoteFake(pages)
    set_limit(notion.url, TOKEN, rate=0)
    try:
        with tempfile.TemporaryDirectory() as directory:
            for index in range(rounds):
                root = Path(directory) / f"round-{index}"
                floor_first = index % 2 == 0
                if floor_first:
                    floor_s, listed, floor_requests = plain_loop(notion.url)
                sync_s, view = asyncio.run(full_sync(root, notion.url))
                if not floor_first:
                    floor_s, listed, floor_requests = plain_loop(notion.url)
                assert view["status"] == "completed", view
                ratios.append(floor_s / sync_s)
                print(
                    f"round {index + 1}: plain loop (floor) {floor_s:6.2f} s "
                    f"{listed / floor_s:6.1f} pages/s, {floor_requests} requests; "
                    f"full sync, no-op embedder {sync_s:6.2f} s {listed / sync_s:6.1f} pages/s; "
                    f"ratio {ratios[-1]:.2f}",
                    flush=True,
                )
        sync_requests = connector_requests(notion.url)
    finally:
        notion.stop()
    print(f"requests of the connector's full sync (no pipeline): {sync_requests}")
    print(f"metrics of the last sync: {view['metrics']}")
    print(f"sync / floor (pages/s), median of {rounds} rounds: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", type=int, metavar="PAGES", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        serve_fake(arguments.serve)
    else:
        main(arguments.pages, arguments.rounds)
