"""`sourcesync serve --engine inngest`: the app served for an Inngest server, here a
standalone engine in another process, reached only over HTTP, as Inngest would."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from sourcesync.cli import app as cli_app
from tests.processes import free_port

from .conftest import Repo

REPO_ROOT = Path(__file__).resolve().parents[2]


def wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            if process.poll() is not None:
                raise AssertionError(f"the process serving {url} exited") from None
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer")


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        process.terminate()
        process.wait(timeout=20)


def test_serve_for_inngest_needs_inngest_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("INNGEST_DEV", "INNGEST_SIGNING_KEY"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(cli_app, ["serve", "--engine", "inngest"])
    assert result.exit_code == 2
    assert "INNGEST_SIGNING_KEY" in result.output and "INNGEST_DEV" in result.output


@pytest.mark.slow
def test_a_sync_runs_on_a_separate_inngest_compatible_server(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    repo = Repo(tmp_path / "repo")
    repo.write("README.md", "# Harbor\n\nThe harbor master schedules every ferry.\n")
    repo.commit("initial")
    engine_port, api_port = free_port(), free_port()
    engine_url = f"http://127.0.0.1:{engine_port}"
    env = os.environ | {
        "SOURCESYNC_HOME": str(tmp_path / "home"),
        # As with self-hosted Inngest: both sides hold the keys, the app is in production mode.
        "INNGEST_SIGNING_KEY": "signkey-prod-" + secrets.token_hex(32),
        "INNGEST_EVENT_KEY": secrets.token_hex(16),
        "INNGEST_API_BASE_URL": engine_url,
        "INNGEST_EVENT_API_BASE_URL": engine_url,
        "HF_HUB_OFFLINE": "1",
    }
    cli = [sys.executable, "-m", "sourcesync.cli"]
    subprocess.run(
        [*cli, "sources", "add", "git", str(repo.path), "--name", "harbor", "--no-sync"],
        env=env,
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    log = (tmp_path / "processes.log").open("ab")
    engine_state = str(tmp_path / "inngest-server.db")
    for command in (
        [*cli, "engine", "--port", str(engine_port), "--state", engine_state],
        [*cli, "serve", "--engine", "inngest", "--port", str(api_port)],
    ):
        processes.append(subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=log, stderr=log))
    wait_for(f"http://127.0.0.1:{engine_port}/health", processes[0])
    wait_for(f"http://127.0.0.1:{api_port}/api/jobs", processes[1])

    token = (tmp_path / "home" / "api-token").read_text().strip()
    auth = {"Authorization": f"Bearer {token}"}
    sync = httpx.put(f"http://127.0.0.1:{api_port}/api/inngest", timeout=30)
    assert sync.status_code == 200, sync.text
    assert httpx.get(f"{engine_url}/v0/functions").status_code == 401  # locked
    signing = {"Authorization": f"Bearer {env['INNGEST_SIGNING_KEY']}"}
    functions = httpx.get(f"{engine_url}/v0/functions", headers=signing).json()["data"]
    assert {f["id"] for f in functions} >= {"sourcesync-sync-orchestrator", "sourcesync-git-sync"}

    job_id = httpx.post(
        f"http://127.0.0.1:{api_port}/api/sync", json={"source": "harbor"}, headers=auth, timeout=10
    ).json()["jobId"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = httpx.get(
            f"http://127.0.0.1:{api_port}/api/jobs/{job_id}", headers=auth, timeout=10
        ).json()
        if job["status"] not in ("queued", "running"):
            break
        time.sleep(0.2)
    assert job["status"] == "completed", job
    assert job["metrics"]["filesProcessed"] == 1
    hits = httpx.get(
        f"http://127.0.0.1:{api_port}/api/search",
        params={"q": "ferry schedule"},
        headers=auth,
        timeout=30,
    ).json()
    assert hits[0]["location"] == "README.md"
