"""A 10,000-file repository through the fake GitHub, embedding replaced by a no-op.

    .venv/bin/python bench/github_bench.py [--files 10000] [--rounds 3]

Prints the API calls the listing takes, and files/s of listing + download + transform +
orchestration (engine, SQLite, LanceDB) beside a plain download loop of the same files
(the floor), as a ratio. The fake GitHub runs in a process of its own, as GitHub would:
in this process it would share the interpreter lock with whatever it is compared with.

Each round measures the floor and a full sync (into a fresh home) back to back, in
alternating order, so that a machine that slows down or speeds up during the run weighs on
both; the ratio reported is the median of the rounds'.
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

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.noop_embedder import NoopEmbedder
from sourcesync import actions
from sourcesync.connectors.github.auth import PersonalToken
from sourcesync.connectors.github.client import GitHubClient
from sourcesync.connectors.github.source import GitHubFileSource
from sourcesync.heap import settle_heap
from sourcesync.runtime import EmbeddedRuntime
from sourcesync.settings import Settings
from sourcesync.workflows.services import Services
from tests.fakes.github import FakeGitHub, GitRepo

TOKEN = "ghp_bench"
TOKEN_ENV = "SOURCESYNC_BENCH_GITHUB_TOKEN"


def build(path: Path, files: int) -> GitRepo:
    repo = GitRepo.init(path)
    repo.write(
        {
            f"pkg_{i // 100}/module_{i}.py": f"def f_{i}(x):\n    return x * {i}\n"
            for i in range(files)
        }
    )
    repo.commit("bench")
    return repo


def plain_download_loop(raw_url: str, head: str, paths: list[str]) -> float:
    started = time.perf_counter()
    with httpx.Client(headers={"Authorization": f"token {TOKEN}"}) as client:
        for path in paths:
            response = client.get(f"{raw_url}/octo/widgets/{head}/{path}")
            response.raise_for_status()
    return time.perf_counter() - started


async def pipeline(root: Path, api_url: str, raw_url: str) -> tuple[float, dict[str, object]]:
    settings = Settings(home=root / "home", github_api_url=api_url, github_raw_url=raw_url)
    services = Services.from_settings(settings)
    services.embedder = NoopEmbedder()
    runtime = EmbeddedRuntime(services)
    await runtime.start()
    settle_heap()  # as `sourcesync serve` and `sourcesync sync` do once started
    try:
        actions.add_source(
            services, "github", {"repository": "octo/widgets", "token_env": TOKEN_ENV}
        )
        job, event = actions.queue_sync(services, "widgets", full=True, trigger="cli")
        started = time.perf_counter()
        await runtime.send(event.name, event.to_data())
        while True:
            view = actions.job_view(services, job.id)
            if view["status"] not in ("queued", "running"):
                return time.perf_counter() - started, view
            await asyncio.sleep(0.2)  # as often as `sourcesync sync` looks
    finally:
        await runtime.stop()


class RemoteFake:
    """The fake GitHub served by another process, as GitHub would be."""

    def __init__(self, repo: GitRepo) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(repo.path)], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.api_url, self.raw_url = self.process.stdout.readline().split()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def serve_fake(path: str) -> None:
    """The ``--serve`` side: run the fake until terminated, printing where it listens."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    with FakeGitHub(GitRepo(Path(path)), token=TOKEN) as github:
        print(github.api_url, github.raw_url, flush=True)
        signal.sigwait({signal.SIGTERM})


def listing_calls(repo: GitRepo) -> tuple[dict[str, int], str, list[str]]:
    """API calls of one full listing, by endpoint, with the head and the listed paths."""
    with FakeGitHub(repo, token=TOKEN) as github:
        client = GitHubClient(
            "octo/widgets",
            auth=PersonalToken(TOKEN_ENV),
            api_url=github.api_url,
            raw_url=github.raw_url,
        )
        source = GitHubFileSource(client=client, workspace_id="bench", source_id="bench")
        plan = source.plan(None, True)
        source.close()
        return dict(github.counts), plan.head, [ref.path for ref in plan.files]


def measure_round(
    root: Path, github: RemoteFake, head: str, paths: list[str], floor_first: bool
) -> tuple[float, float, dict[str, object]]:
    """One floor and one full sync, in the order asked: (floor s, sync s, the job's view)."""
    floor_s = plain_download_loop(github.raw_url, head, paths) if floor_first else 0.0
    sync_s, view = asyncio.run(pipeline(root, github.api_url, github.raw_url))
    if not floor_first:
        floor_s = plain_download_loop(github.raw_url, head, paths)
    assert view["status"] == "completed", view
    return floor_s, sync_s, view


def main(files: int, rounds: int) -> None:
    os.environ[TOKEN_ENV] = TOKEN
    ratios: list[float] = []
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        repo = build(root / "widgets", files)
        calls, head, paths = listing_calls(repo)
        print(f"files: {files}; API calls of the listing, by endpoint: {calls}")
        github = RemoteFake(repo)
        try:
            for index in range(rounds):
                floor_s, sync_s, view = measure_round(
                    root / f"round-{index}", github, head, paths, floor_first=index % 2 == 0
                )
                ratios.append(floor_s / sync_s)
                print(
                    f"round {index + 1}: plain download loop (floor) {floor_s:6.2f} s "
                    f"{files / floor_s:6.1f} files/s; full sync, no-op embedder {sync_s:6.2f} s "
                    f"{files / sync_s:6.1f} files/s; ratio {ratios[-1]:.2f}",
                    flush=True,
                )
        finally:
            github.stop()
    print(f"metrics of the last sync: {view['metrics']}")
    print(f"sync / floor (files/s), median of {rounds} rounds: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", metavar="REPO", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.rounds < 1:
        parser.error("--rounds must be at least 1")
    if arguments.serve:
        serve_fake(arguments.serve)
    else:
        main(arguments.files, arguments.rounds)
