"""``sourcesync serve`` in another process, to kill and start again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.processes import free_port, wait_until

REPO_ROOT = Path(__file__).resolve().parents[1]


class Server:
    """``sourcesync serve`` in a process of its own, on a home of its own."""

    def __init__(self, home: Path, *serve_args: str, **env: str) -> None:
        """``serve_args`` are added to ``serve`` (``--engine inngest``)."""
        self.home = home
        self.serve_args = serve_args
        self.port = free_port()
        self.env = (
            os.environ
            | {
                "SOURCESYNC_HOME": str(home),
                "SOURCESYNC_ENGINE_PORT": str(free_port()),
                "SOURCESYNC_BATCH_SIZE": "10",
                "SOURCESYNC_BATCH_CONCURRENCY": "2",
                "HF_HUB_OFFLINE": "1",
            }
            | env
        )
        self.process: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sourcesync.cli", *args],
            env=self.env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        log = (self.home / "serve.log").open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sourcesync.cli",
                "serve",
                "--port",
                str(self.port),
                *self.serve_args,
            ],
            env=self.env,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=log,
        )
        wait_until(lambda: self.get("/api/jobs") is not None, "serve did not start")

    @property
    def headers(self) -> dict[str, str]:
        """This machine's API token, which ``serve`` writes on first start."""
        token_file = self.home / "api-token"
        return (
            {"Authorization": f"Bearer {token_file.read_text().strip()}"}
            if token_file.exists()
            else {}
        )

    def get(self, path: str) -> object:
        try:
            response = httpx.get(
                f"http://127.0.0.1:{self.port}{path}", headers=self.headers, timeout=5
            )
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == 200 else None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
