"""Crash and restart: an engine process killed with SIGKILL resumes every run.

The engine runs in a subprocess (``sourcesync engine --app``); the test kills it at a
known point, starts it again on the same state file and checks, with the steps' own
side-effect log, that no completed step ran twice.
"""

from __future__ import annotations

import collections
import datetime
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.processes import free_port, wait_until

REPO = Path(__file__).resolve().parents[2]


SIGNING_KEY = "signkey-prod-" + "5e" * 32
EVENT_KEY = "durability-event-key"
ADMIN = {"Authorization": f"Bearer {SIGNING_KEY}"}


class EngineProcess:
    def __init__(self, workdir: Path, port: int) -> None:
        self.workdir = workdir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> subprocess.Popen[bytes]:
        env = os.environ | {
            "CRASH_TEST_DIR": str(self.workdir),
            "PYTHONPATH": str(REPO),
            "INNGEST_SIGNING_KEY": SIGNING_KEY,
            "INNGEST_EVENT_KEY": EVENT_KEY,
        }
        env.pop("INNGEST_DEV", None)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sourcesync.cli",
                "engine",
                "--app",
                "tests.engine.crash_app:app",
                "--port",
                str(self.port),
                "--state",
                str(self.workdir / "engine.db"),
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(self.workdir / "engine.log").open("ab"),
        )
        wait_until(self.ready, "the engine did not start")
        return self.process

    def ready(self) -> bool:
        try:
            functions = httpx.get(f"{self.url}/v0/functions", headers=ADMIN, timeout=1).json()[
                "data"
            ]
        except httpx.HTTPError:
            return False
        return len(functions) == 2

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def send(self, name: str) -> str:
        response = httpx.post(
            f"{self.url}/e/{EVENT_KEY}", json={"name": name, "data": {}}, timeout=5
        )
        return str(response.json()["ids"][0])

    def runs(self, event_id: str) -> list[dict[str, object]]:
        body = httpx.get(f"{self.url}/v1/events/{event_id}/runs", headers=ADMIN, timeout=5).json()
        return list(body["data"])


@pytest.fixture
def engine_process(tmp_path: Path) -> Iterator[EngineProcess]:
    process = EngineProcess(tmp_path, free_port())
    try:
        yield process
    finally:
        process.stop()


def _log_counts(workdir: Path) -> collections.Counter[tuple[str, str]]:
    path = workdir / "steps.log"
    lines = path.read_text().split("\n") if path.exists() else []
    return collections.Counter(tuple(line.split(" ", 1)) for line in lines if line)  # type: ignore[misc]


def _all_completed(engine: EngineProcess, event_ids: list[str]) -> bool:
    runs = [run for event_id in event_ids for run in engine.runs(event_id)]
    return len(runs) == len(event_ids) and all(run["status"] == "Completed" for run in runs)


def test_sigkill_mid_run_resumes_without_rerunning_completed_steps(
    engine_process: EngineProcess,
) -> None:
    engine_process.start()
    event_ids = [engine_process.send("crash/start") for _ in range(3)]

    def all_at_gate() -> bool:
        counts = _log_counts(engine_process.workdir)
        return sum(1 for (_, label), _n in counts.items() if label == "gate-start") == 3

    wait_until(all_at_gate, "runs did not reach the gate")
    engine_process.kill()
    (engine_process.workdir / "release").touch()
    engine_process.start()
    wait_until(
        lambda: _all_completed(engine_process, event_ids), "runs did not complete after restart"
    )

    counts = _log_counts(engine_process.workdir)
    run_ids = {run_id for run_id, _ in counts}
    assert len(run_ids) == 3
    for run_id in run_ids:
        for i in range(5):
            assert counts[(run_id, f"before-{i}")] == 1, "a completed step ran again"
            assert counts[(run_id, f"after-{i}")] == 1
        # The gate was in flight when the engine died: it runs again, and only once more.
        assert counts[(run_id, "gate-start")] == 2
        assert counts[(run_id, "gate-done")] == 1
    outputs = [run["output"] for event_id in event_ids for run in engine_process.runs(event_id)]
    assert outputs == ["done", "done", "done"]


def test_sleeps_and_waits_keep_their_deadlines_across_a_crash(
    engine_process: EngineProcess,
) -> None:
    engine_process.start()
    event_id = engine_process.send("crash/sleep")
    wait_until(
        lambda: _log_counts(engine_process.workdir)[_first_run_key(engine_process)] == 1,
        "the run did not start",
    )
    engine_process.kill()
    engine_process.start()
    wait_until(
        lambda: _all_completed(engine_process, [event_id]), "the sleeping run did not resume"
    )
    [run] = engine_process.runs(event_id)
    assert run["output"] == "woke"
    timeline = httpx.get(
        f"{engine_process.url}/v0/runs/{run['run_id']}/timeline", headers=ADMIN
    ).json()["data"]
    steps = {step["name"]: step for step in timeline["steps"]}
    assert steps["long-nap"]["status"] == "completed"
    slept = datetime.datetime.fromisoformat(steps["long-nap"]["ended_at"]) - (
        datetime.datetime.fromisoformat(steps["long-nap"]["started_at"])
    )
    # The SDK turns the 3 s into a deadline by its own clock before the engine records the
    # step, so the recorded start is a little later than the instant the 3 s count from.
    sdk_to_engine = datetime.timedelta(milliseconds=100)
    assert slept >= datetime.timedelta(seconds=3) - sdk_to_engine, "the sleep ended early"
    assert steps["wait"]["status"] == "completed"
    assert _log_counts(engine_process.workdir)[(str(run["run_id"]), "sleep-start")] == 1


def _first_run_key(engine: EngineProcess) -> tuple[str, str]:
    counts = _log_counts(engine.workdir)
    for run_id, label in counts:
        if label == "sleep-start":
            return (run_id, label)
    return ("", "")


def test_a_second_engine_on_the_same_state_refuses_to_start(
    engine_process: EngineProcess,
) -> None:
    engine_process.start()
    second = subprocess.run(
        [
            sys.executable,
            "-m",
            "sourcesync.cli",
            "engine",
            "--port",
            str(free_port()),
            "--state",
            str(engine_process.workdir / "engine.db"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert second.returncode == 2
    assert "already using the state file" in second.stderr
