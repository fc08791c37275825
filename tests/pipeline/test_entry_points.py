"""The ways into a sync: malformed events, source.connected, the REST API and the CLI."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from sourcesync import actions
from sourcesync.cli import app as cli_app

from .conftest import Harness, Repo


def small_repo(repo: Repo) -> None:
    repo.write("README.md", "# Lighthouse\n\nThe lighthouse keeper logs every passing ship.\n")
    repo.write("keeper.py", "def log_ship(name):\n    return f'ship {name} passed'\n")
    repo.commit("initial")


async def test_a_malformed_sync_request_fails_at_once_naming_the_fields(harness: Harness) -> None:
    engine = harness.runtime.engine
    [event_id] = await engine.send(
        {"name": "apps-console/sync.requested", "data": {"sourceType": "svn", "mode": "all"}}
    )
    [run] = await engine.wait_for_runs(event_id)
    run = await engine.wait_for_run(run.id, timeout=30)
    assert run.status == "Failed"
    message = run.error["message"]
    for field in ("workspaceId", "sourceId", "sourceType", "mode"):
        assert field in message
    assert [s.attempts for s in engine.state.steps(run.id)] == []


async def test_source_connected_runs_a_first_full_sync(harness: Harness, repo: Repo) -> None:
    small_repo(repo)
    source = actions.add_git_source(
        harness.services, repo.path, name="lighthouse", branch=None, include=[], exclude=[]
    )
    engine = harness.runtime.engine
    [event_id] = await engine.send(
        {
            "name": "apps-console/source.connected",
            "data": {"workspaceId": "default", "sourceId": source.id, "sourceType": "git"},
        }
    )
    [run] = await engine.wait_for_runs(event_id)
    run = await engine.wait_for_run(run.id, timeout=60)
    assert run.status == "Completed", run.error
    assert run.output["status"] == "completed"
    job = actions.job_view(harness.services, run.output["jobId"])
    assert job["trigger"] == "source_connected"
    assert job["mode"] == "full"
    assert job["metrics"]["filesProcessed"] == 2


async def test_the_rest_api_syncs_lists_jobs_and_searches(harness: Harness, repo: Repo) -> None:
    small_repo(repo)
    actions.add_git_source(
        harness.services, repo.path, name="lighthouse", branch=None, include=[], exclude=[]
    )
    transport = httpx.ASGITransport(app=harness.runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        missing = await client.post("/api/sync", json={"source": "nope"})
        assert missing.status_code == 404
        accepted = await client.post("/api/sync", json={"source": "lighthouse", "mode": "full"})
        assert accepted.status_code == 202
        job_id = accepted.json()["jobId"]
        for _ in range(600):
            job = (await client.get(f"/api/jobs/{job_id}")).json()
            if job["status"] not in ("queued", "running"):
                break
            await asyncio.sleep(0.1)
        assert job["status"] == "completed"
        assert job["metrics"]["filesProcessed"] == 2
        jobs = (await client.get("/api/jobs", params={"source": "lighthouse"})).json()
        assert [j["jobId"] for j in jobs] == [job_id]
        hits = (await client.get("/api/search", params={"q": "who records ships", "k": 1})).json()
        assert hits[0]["location"] in ("README.md", "keeper.py")
        assert (await client.get("/api/jobs/nope")).status_code == 404


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cli-home"
    monkeypatch.setenv("SOURCESYNC_HOME", str(home))
    monkeypatch.setenv("SOURCESYNC_ENGINE_PORT", "1")
    monkeypatch.setenv("SOURCESYNC_API_PORT", "1")  # no serve: `search` runs in process
    return home


def test_the_cli_adds_syncs_reports_and_searches(cli_home: Path, repo: Repo) -> None:
    small_repo(repo)
    runner = CliRunner()
    added = runner.invoke(cli_app, ["sources", "add", "git", str(repo.path), "--name", "lh"])
    assert added.exit_code == 0, added.output
    duplicate = runner.invoke(cli_app, ["sources", "add", "git", str(repo.path), "--name", "lh"])
    assert duplicate.exit_code == 2
    not_a_repo = runner.invoke(cli_app, ["sources", "add", "git", str(cli_home.parent)])
    assert not_a_repo.exit_code == 2
    assert "not a git repository" in not_a_repo.output

    synced = runner.invoke(cli_app, ["sync", "lh", "--json"])
    assert synced.exit_code == 0, synced.output
    completed = json.loads(synced.stdout)
    assert completed["status"] == "completed"
    assert completed["metrics"]["filesProcessed"] == 2
    assert set(completed) >= {"jobId", "status", "metrics", "durationMs"}

    listed = json.loads(runner.invoke(cli_app, ["jobs", "--json"]).stdout)
    assert [j["jobId"] for j in listed] == [completed["jobId"]]
    shown = runner.invoke(cli_app, ["job", completed["jobId"]])
    assert shown.exit_code == 0 and "completed" in shown.stdout
    hits = json.loads(runner.invoke(cli_app, ["search", "ship log", "-k", "2", "--json"]).stdout)
    assert {h["location"] for h in hits} == {"README.md", "keeper.py"}
    unknown = runner.invoke(cli_app, ["sync", "nope"])
    assert unknown.exit_code == 2
