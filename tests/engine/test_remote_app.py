"""A standalone engine: an app in another process syncs itself (PUT on its serve endpoint)
and is called back over HTTP at the URL it registered."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sourcesync.engine import Engine
from tests.processes import free_port

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def remote_app(engine: Engine) -> Iterator[str]:
    port = free_port()
    env = os.environ | {"INNGEST_DEV": engine.url, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tests.engine.remote_app:app", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/api/inngest", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError("the remote app did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_an_app_in_another_process_syncs_and_runs_over_http(
    engine: Engine, remote_app: str
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        sync = await client.put(f"{remote_app}/api/inngest")
        assert sync.status_code == 200, sync.text
        functions = (await client.get(f"{engine.url}/v0/functions")).json()
    [registered] = functions["data"]
    assert registered["id"] == "remote-greet"
    assert registered["steps"]["step"]["runtime"]["url"].startswith(remote_app)

    [event_id] = await engine.send({"name": "remote/greet", "data": {}})
    [run] = await engine.wait_for_runs(event_id)
    run = await engine.wait_for_run(run.id, timeout=30)
    assert run.status == "Completed", run.error
    assert run.output != f"hello from {os.getpid()}", "the app ran in this process"
    echoed = engine.state.list_events("remote/greeted", 5)
    assert len(echoed) == 1
