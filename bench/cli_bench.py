"""CLI latency: each command run as a fresh process, several times, beside `--help`.

    .venv/bin/python bench/cli_bench.py [--runs 5]

Builds a small repository from the requests sdist (cached by bench/search_eval.py), syncs
it into a temporary home, then times `sourcesync --help`, `jobs`, `job ID`,
`sources list` and `search` with no server (cold: the process loads the model), and
`search` again while `sourcesync serve` runs (the CLI asks the server). Prints the median
and fastest run of each, and each median as a multiple of `--help`'s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.search_eval import fetch_sdist

SOURCESYNC = str(Path(sys.executable).with_name("sourcesync"))
QUERY = "drop the authorization header when a redirect goes to another host"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(args: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [SOURCESYNC, *args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"sourcesync {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return elapsed


def timings(label: str, args: list[str], env: dict[str, str], cwd: Path, runs: int) -> float:
    times = [run(args, env, cwd) for _ in range(runs)]
    median = statistics.median(times)
    print(f"{label:28} median {median:5.2f} s  fastest {min(times):5.2f} s", flush=True)
    return median


def build_repository(path: Path) -> None:
    shutil.copytree(fetch_sdist("requests==2.32.3") / "src" / "requests", path / "requests")
    for command in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "-c", "user.name=b", "-c", "user.email=b@e", "commit", "-q", "-m", "bench"],
    ):
        subprocess.run(command, cwd=path, check=True)


def wait_for_server(port: int, server: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise SystemExit("sourcesync serve exited")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit("sourcesync serve did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        build_repository(root / "repo")
        env = os.environ | {
            "SOURCESYNC_HOME": str(root / "home"),
            "SOURCESYNC_API_PORT": str(free_port()),
            "SOURCESYNC_ENGINE_PORT": str(free_port()),
        }
        subprocess.run(
            [SOURCESYNC, "sources", "add", "git", str(root / "repo"), "--name", "requests"],
            env=env,
            cwd=root,
            check=True,
            capture_output=True,
        )
        synced = subprocess.run(
            [SOURCESYNC, "sync", "requests", "--json"],
            env=env,
            cwd=root,
            check=True,
            capture_output=True,
            text=True,
        )
        job_id = json.loads(synced.stdout)["jobId"]
        print(f"{runs} runs each, one process per run\n")
        help_s = timings("sourcesync --help", ["--help"], env, root, runs)
        medians = {
            "jobs": timings("sourcesync jobs", ["jobs"], env, root, runs),
            "job ID": timings("sourcesync job ID", ["job", job_id], env, root, runs),
            "sources list": timings(
                "sourcesync sources list", ["sources", "list"], env, root, runs
            ),
            "search (no server)": timings(
                "sourcesync search, cold", ["search", QUERY], env, root, runs
            ),
        }
        server = subprocess.Popen(
            [SOURCESYNC, "serve", "--port", env["SOURCESYNC_API_PORT"]],
            env=env,
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_server(int(env["SOURCESYNC_API_PORT"]), server)
            run(["search", QUERY], env, root)  # the server loads the model on its first query
            medians["search (serve up)"] = timings(
                "sourcesync search, serve up", ["search", QUERY], env, root, runs
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    print("\nmedian / median of --help:")
    for label, median in medians.items():
        print(f"  {label:22} {median / help_s:5.1f}x")


if __name__ == "__main__":
    main()
