"""A 100,000-file repository through the fake GitHub, embedding replaced by a no-op.

    .venv/bin/python bench/big_repo_bench.py [--files 100000] [--checkpoint 10000]

One full sync on the embedded stack (engine, SQLite, LanceDB). The fake GitHub runs in a
process of its own and truncates recursive trees past 100,000 entries, as GitHub does, so
the listing walks sub-trees. Prints:

- the job's metrics, which must be exact (every file processed, none failed);
- the largest run against Inngest's limits: steps (1,000), state (32 MiB), one step's
  output (4 MiB), read from the engine's state;
- this process's RSS at every multiple of the checkpoint as it goes, at the end, and its peak;
- files/s cumulative at the checkpoint (10,000) and at the end (100,000), and in steady
  state over files 10,000-20,000 and over the last 10,000: their ratio is near 1 when the
  time per file does not grow with the repository.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.noop_embedder import NoopEmbedder
from sourcesync import actions
from sourcesync.runtime import EmbeddedRuntime
from sourcesync.settings import Settings
from sourcesync.workflows.services import Services
from tests.fakes.github import FakeGitHub, GitRepo

TOKEN = "ghp_big_bench"
TOKEN_ENV = "SOURCESYNC_BENCH_GITHUB_TOKEN"
GITHUB_TREE_LIMIT = 100_000
"""Entries in one recursive tree answer before GitHub sets `truncated`."""
MIB = 1024 * 1024


def build(path: Path, files: int) -> GitRepo:
    repo = GitRepo.init(path)
    repo.write(
        {
            f"pkg_{i // 1000}/sub_{i // 100 % 10}/module_{i}.py": (
                f'"""Module {i}."""\n\n\ndef f_{i}(x):\n    return x * {i}\n'
            )
            for i in range(files)
        }
    )
    repo.commit("bench")
    return repo


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def serve_fake(path: str) -> None:
    """The ``--serve`` side: the fake GitHub until terminated, printing where it listens."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    with FakeGitHub(
        GitRepo(Path(path)), token=TOKEN, truncate_trees_over=GITHUB_TREE_LIMIT
    ) as github:
        print(github.api_url, github.raw_url, flush=True)
        signal.sigwait({signal.SIGTERM})


def largest_run(engine_state: Path) -> tuple[int, int, int]:
    """(most steps, most state bytes, largest step output) of any run in the engine's state."""
    with sqlite3.connect(engine_state) as connection:
        steps = connection.execute(
            "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM steps GROUP BY run_id)"
        ).fetchone()[0]
        state = connection.execute("SELECT COALESCE(MAX(state_bytes), 0) FROM runs").fetchone()[0]
        output = connection.execute(
            "SELECT COALESCE(MAX(LENGTH(CAST(memo AS BLOB))), 0) FROM steps"
        ).fetchone()[0]
    return int(steps), int(state), int(output)


class ProgressWatch(threading.Thread):
    """Reads the job's progress every half second, on a thread of its own: the event loop
    is the engine's and the app's, busy enough to starve a coroutine that polls."""

    def __init__(self, services: Services, job_id: str, checkpoint: int) -> None:
        super().__init__(daemon=True)
        self._services = services
        self._job_id = job_id
        self._checkpoint = checkpoint
        self.started = time.perf_counter()
        self.marks: list[tuple[int, float]] = []
        self.rss_at_checkpoint = 0.0
        self._next_print = checkpoint

    def run(self) -> None:
        while True:
            view = actions.job_view(self._services, self._job_id)
            done = int(view["metrics"]["filesProcessed"])  # type: ignore[index]
            self.marks.append((done, time.perf_counter() - self.started))
            if done >= self._next_print:
                rss = rss_mib()
                self.rss_at_checkpoint = self.rss_at_checkpoint or rss
                self._next_print = (done // self._checkpoint + 1) * self._checkpoint
                print(
                    f"{done:,} files after {self.marks[-1][1]:.1f} s, RSS {rss:.0f} MiB",
                    flush=True,
                )
            if view["status"] not in ("queued", "running"):
                return
            time.sleep(0.5)


async def sync(root: Path, api_url: str, raw_url: str, checkpoint: int) -> dict[str, object]:
    settings = Settings(home=root / "home", github_api_url=api_url, github_raw_url=raw_url)
    services = Services.from_settings(settings)
    services.embedder = NoopEmbedder()
    runtime = EmbeddedRuntime(services)
    await runtime.start()
    try:
        actions.add_source(
            services, "github", {"repository": "octo/widgets", "token_env": TOKEN_ENV}
        )
        job, event = actions.queue_sync(services, "widgets", full=True, trigger="cli")
        progress = ProgressWatch(services, job.id, checkpoint)
        await runtime.send(event.name, event.to_data())
        progress.start()
        await asyncio.to_thread(progress.join)
        view = actions.job_view(services, job.id)
    finally:
        await runtime.stop()
    marks = progress.marks
    return {
        "view": view,
        "total_s": marks[-1][1],
        "marks": marks,
        "rss_at_checkpoint": progress.rss_at_checkpoint,
        "engine_state": settings.engine_state,
    }


def rate_between(marks: list[tuple[int, float]], low: int, high: int) -> float:
    """files/s between the first moments `low` and `high` files were done."""
    start = next(t for n, t in marks if n >= low)
    end = next(t for n, t in marks if n >= high)
    return (high - low) / (end - start)


def main(files: int, checkpoint: int) -> None:
    os.environ[TOKEN_ENV] = TOKEN
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        started = time.perf_counter()
        repo = build(root / "widgets", files)
        print(f"built {files:,} files in {time.perf_counter() - started:.0f} s", flush=True)
        fake = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(repo.path)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert fake.stdout is not None
            api_url, raw_url = fake.stdout.readline().split()
            result = asyncio.run(sync(root, api_url, raw_url, checkpoint))
        finally:
            fake.terminate()
            fake.wait(timeout=10)
        steps, state, output = largest_run(Path(str(result["engine_state"])))
    view: dict[str, object] = result["view"]  # type: ignore[assignment]
    marks: list[tuple[int, float]] = result["marks"]  # type: ignore[assignment]
    total_s = float(result["total_s"])  # type: ignore[arg-type]
    metrics: dict[str, int] = view["metrics"]  # type: ignore[assignment]
    print(f"status {view['status']}; metrics {metrics}")
    assert view["status"] == "completed", view
    assert (metrics["filesProcessed"], metrics["filesFailed"]) == (files, 0), metrics
    assert metrics["documentsProcessed"] == files, metrics
    print(
        f"largest run: {steps} steps (limit 1,000), {state / MIB:.2f} MiB of state (limit 32), "
        f"largest step output {output / 1024:.1f} KiB (limit 4,096)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    at_checkpoint_mib = float(result["rss_at_checkpoint"])  # type: ignore[arg-type]
    at_end = rss_mib()
    growth_kib = (at_end - at_checkpoint_mib) * 1024 / (files - checkpoint)
    print(
        f"RSS: at {checkpoint:,} files {at_checkpoint_mib:.0f} MiB, "
        f"at the end {at_end:.0f} MiB, peak {peak:.0f} MiB; "
        f"{growth_kib:.1f} KiB per file past {checkpoint:,}"
    )
    at_checkpoint = next(t for n, t in marks if n >= checkpoint)
    early = rate_between(marks, checkpoint, 2 * checkpoint)
    late = rate_between(marks, files - checkpoint, files)
    print(
        f"files/s, cumulative: at {checkpoint:,} {checkpoint / at_checkpoint:.1f}, "
        f"at {files:,} {files / total_s:.1f} ({total_s:.0f} s in all)"
    )
    print(
        f"files/s, steady: files {checkpoint:,}-{2 * checkpoint:,} {early:.1f}, files "
        f"{files - checkpoint:,}-{files:,} {late:.1f}; late ÷ early {late / early:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--checkpoint", type=int, default=10_000)
    parser.add_argument("--serve", metavar="REPO", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        serve_fake(arguments.serve)
    elif not 0 < 2 * arguments.checkpoint <= arguments.files:
        parser.error("--checkpoint must be positive and at most half of --files")
    else:
        main(arguments.files, arguments.checkpoint)
