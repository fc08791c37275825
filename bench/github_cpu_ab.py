"""Process CPU per file of the GitHub sync, for two or more checkouts side by side.

    .venv/bin/python bench/github_cpu_ab.py [--files 3000] [--rounds 6] CHECKOUT...

Each CHECKOUT is a source tree (a worktree, or ``git archive REV | tar -x -C DIR``); its
``src`` and root go first on the path of a fresh process that runs ``github_bench``'s
``pipeline`` (no-op embedder) against one fake GitHub served by another process. The
process CPU (all threads, LanceDB's native ones included) is read from the sync's first
event to the job's end, so start-up and imports are left out. Rounds alternate the
order of the checkouts. On a busy host wall-clock times mean little; CPU per file does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def child(root: Path, api_url: str, raw_url: str) -> dict[str, float]:
    """In the checkout's process: one sync, CPU and wall time from its first event."""
    from bench.github_bench import TOKEN, TOKEN_ENV, pipeline
    from sourcesync import actions
    from sourcesync.runtime import EmbeddedRuntime

    os.environ[TOKEN_ENV] = TOKEN
    marks: dict[str, float] = {}
    send, job_view = EmbeddedRuntime.send, actions.job_view

    async def timed_send(self: EmbeddedRuntime, *args: Any, **kwargs: Any) -> Any:
        marks.setdefault("cpu0", time.process_time())
        marks.setdefault("wall0", time.perf_counter())
        return await send(self, *args, **kwargs)

    def timed_view(*args: Any, **kwargs: Any) -> dict[str, Any]:
        view = job_view(*args, **kwargs)
        if view["status"] not in ("queued", "running"):
            marks.setdefault("cpu1", time.process_time())
            marks.setdefault("wall1", time.perf_counter())
        return view

    EmbeddedRuntime.send = timed_send  # type: ignore[method-assign]
    actions.job_view = timed_view
    _, view = asyncio.run(pipeline(root, api_url, raw_url))
    assert view["status"] == "completed", view
    return {"cpu": marks["cpu1"] - marks["cpu0"], "wall": marks["wall1"] - marks["wall0"]}


def main(files: int, rounds: int, checkouts: list[str]) -> None:
    from bench.github_bench import RemoteFake, build

    per_file: dict[str, list[float]] = {checkout: [] for checkout in checkouts}
    with tempfile.TemporaryDirectory() as directory:
        github = RemoteFake(build(Path(directory) / "widgets", files))
        try:
            for index in range(rounds):
                for checkout in checkouts if index % 2 == 0 else checkouts[::-1]:
                    root = Path(tempfile.mkdtemp(dir=directory))
                    env = dict(os.environ, PYTHONPATH=f"{checkout}/src:{checkout}")
                    command = [sys.executable, __file__, "--child", str(root)]
                    command += [github.api_url, github.raw_url]
                    done = subprocess.run(
                        command, env=env, cwd=checkout, capture_output=True, text=True, check=True
                    )
                    measured = json.loads(done.stdout.splitlines()[-1])
                    per_file[checkout].append(measured["cpu"] / files * 1000)
                    print(
                        f"round {index + 1} {checkout}: CPU {measured['cpu']:.2f} s = "
                        f"{per_file[checkout][-1]:.2f} ms/file, wall {measured['wall']:.1f} s",
                        flush=True,
                    )
        finally:
            github.stop()
    for checkout, values in per_file.items():
        shown = ", ".join(f"{value:.2f}" for value in sorted(values))
        print(f"{checkout}: {shown} ms/file, median {statistics.median(values):.2f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(child(Path(sys.argv[2]), sys.argv[3], sys.argv[4])))
    else:
        parser = argparse.ArgumentParser()
        parser.add_argument("--files", type=int, default=3000)
        parser.add_argument("--rounds", type=int, default=6)
        parser.add_argument("checkouts", nargs="+")
        arguments = parser.parse_args()
        main(arguments.files, arguments.rounds, arguments.checkouts)
