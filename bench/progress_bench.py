"""How often a sync's progress moves: the longest time its counters stand still.

    .venv/bin/python bench/progress_bench.py

Syncs the source of the requests sdist (cached by bench/search_eval.py) with the default
embedder in this process, reads the job's progress (files, batches, documents, chunks
embedded: what `sourcesync sync` and the dashboard show) every 100 ms while it runs, and
prints the longest stretch with no counter moving, with and without the chunk counter
(the latter is what the CLI showed before chunks were counted), from the first documents
batch to the job's end.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.cli_bench import build_repository
from sourcesync import actions, db
from sourcesync.runtime import EmbeddedRuntime
from sourcesync.settings import Settings
from sourcesync.workflows.services import Services

SAMPLE_S = 0.1


def longest_still(samples: list[tuple[float, tuple[int, ...]]]) -> tuple[float, str]:
    """The longest time between two changes of the sampled counters, and where it was."""
    longest, where = 0.0, ""
    since, last = samples[0]
    for at, value in samples[1:]:
        if value != last:
            if at - since > longest:
                longest, where = at - since, f"at {since:.1f} s, counters {last}"
            since, last = at, value
    return longest, where


async def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        build_repository(root / "repo")
        services = Services.from_settings(Settings(home=root / "home"))
        runtime = EmbeddedRuntime(services)
        await runtime.start()
        try:
            actions.add_source(services, "git", {"path": str(root / "repo")}, name="requests")
            job, event = actions.queue_sync(services, "requests", full=True, trigger="cli")
            started = time.monotonic()
            await runtime.send(event.name, event.to_data())
            samples: list[tuple[float, tuple[int, ...]]] = []
            batch_only: list[tuple[float, tuple[int, ...]]] = []
            while True:
                with services.reading() as session:
                    row = db.require_job(session, job.id)
                    progress = actions.job_progress(row)
                    status = row.status
                now = time.monotonic() - started
                done = [progress[name]["done"] for name in ("files", "batches", "documents")]
                if progress["chunks"]["total"]:
                    samples.append((now, (*done, progress["chunks"]["done"])))
                    batch_only.append((now, tuple(done)))
                if status.is_terminal:
                    break
                await asyncio.sleep(SAMPLE_S)
            view = actions.job_view(services, job.id)
        finally:
            await runtime.stop()
    chunks = view["metrics"]["embeddingsCreated"]
    print(f"job {view['status']} in {view['durationMs'] / 1000:.1f} s, {chunks} chunks")
    for label, series in (("every counter", samples), ("without chunks embedded", batch_only)):
        still, where = longest_still(series)
        print(f"longest still, {label:24} {still:5.1f} s ({where})")


if __name__ == "__main__":
    asyncio.run(main())
