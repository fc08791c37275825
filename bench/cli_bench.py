"""CLI latency: each command run as a fresh process, several times, beside `--help`.

    .venv/bin/python bench/cli_bench.py [--runs 5] [--baseline OTHER_CHECKOUT/src]

Builds a small repository from the requests sdist (cached by bench/search_eval.py), syncs
it into a temporary home, then times `sourcesync --help`, `jobs`, `job ID`,
`sources list` and `search` with no server (cold: the process loads the model), and
`search` again while `sourcesync serve` runs (the CLI asks the server). Prints the median
and fastest run of each, in wall time and in CPU time (user + system: steadier than wall
time on a loaded host), each median as a multiple of `--help`'s, and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


def children_cpu() -> float:
    """User + system CPU seconds of this process's children that have ended."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """The wall and CPU seconds of one ``sourcesync`` process."""
    cpu, started = children_cpu(), time.perf_counter()
    done = subprocess.run(
        [SOURCESYNC, *args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"sourcesync {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return elapsed, children_cpu() - cpu


def timings(
    label: str,
    args: list[str],
    env: dict[str, str],
    cwd: Path,
    runs: int,
    baseline: dict[str, str] | None = None,
) -> float:
    """The median wall time of ``runs`` runs; with ``baseline`` (the environment of the
    code compared with), the two alternate run by run, so both see the same load."""
    measured: list[tuple[float, float]] = []
    compared: list[tuple[float, float]] = []
    for _ in range(runs):
        measured.append(run(args, env, cwd))
        if baseline is not None:
            compared.append(run(args, baseline, cwd))
    median = report(label, measured)
    if compared:
        report("  baseline", compared)
    return median


def report(label: str, measured: list[tuple[float, float]]) -> float:
    times, cpu = [wall for wall, _ in measured], [used for _, used in measured]
    median = statistics.median(times)
    print(
        f"{label:28} median {median:5.2f} s  fastest {min(times):5.2f} s  "
        f"CPU median {statistics.median(cpu):5.2f} s  least {min(cpu):5.2f} s",
        flush=True,
    )
    return median


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


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
    parser.add_argument(
        "--baseline",
        type=Path,
        help="the src folder of another checkout (`git archive main src | tar -x -C DIR`, "
        "then DIR/src): --help, jobs, job and sources list also run on it, alternating",
    )
    options = parser.parse_args()
    runs = options.runs
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        build_repository(root / "repo")
        # As on a user's machine, each process reuses the bytecode the first one wrote
        # (a host with PYTHONDONTWRITEBYTECODE set would compile sourcesync on every run).
        inherited = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env = inherited | {
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
        base = None
        if options.baseline:
            base = env | {"PYTHONPATH": str(options.baseline.resolve())}
        print(f"{runs} runs each, one process per run; load average {load_average()}\n")
        help_s = timings("sourcesync --help", ["--help"], env, root, runs, base)
        medians = {
            "jobs": timings("sourcesync jobs", ["jobs"], env, root, runs, base),
            "job ID": timings("sourcesync job ID", ["job", job_id], env, root, runs, base),
            "sources list": timings(
                "sourcesync sources list", ["sources", "list"], env, root, runs, base
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
    print(f"\nload average {load_average()}; median / median of --help:")
    for label, median in medians.items():
        print(f"  {label:22} {median / help_s:5.1f}x")


if __name__ == "__main__":
    main()
