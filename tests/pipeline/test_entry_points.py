"""The ways into a sync: malformed events, source.connected, the REST API and the CLI."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sourcesync import actions
from sourcesync.cli import app as cli_app

from .conftest import Harness, Repo


def failed_runs(state: Path) -> list[tuple[object, ...]]:
    """The engine's failed runs and steps, to say why a sync failed."""
    with sqlite3.connect(state) as db:
        runs = db.execute(
            "SELECT id, function_id, status, error FROM runs WHERE error IS NOT NULL"
        ).fetchall()
        steps = db.execute(
            "SELECT run_id, name, status, attempts, error FROM steps WHERE error IS NOT NULL"
        ).fetchall()
    return runs + steps


def small_repo(repo: Repo) -> None:
    repo.write("README.md", "# Lighthouse\n\nThe lighthouse keeper logs every passing ship.\n")
    repo.write("keeper.py", "def log_ship(name):\n    return f'ship {name} passed'\n")
    repo.commit("initial")


async def test_a_malformed_sync_request_fails_at_once_naming_the_fields(harness: Harness) -> None:
    engine = harness.runtime.engine
    [event_id] = await engine.send(
        {"name": "apps-console/sync.requested", "data": {"sourceType": "SVN!", "mode": "all"}}
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
    source = actions.add_source(
        harness.services, "git", {"path": str(repo.path)}, name="lighthouse"
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
    actions.add_source(harness.services, "git", {"path": str(repo.path)}, name="lighthouse")
    async with harness.api() as client:
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
    added = runner.invoke(
        cli_app, ["sources", "add", "git", str(repo.path), "--name", "lh", "--json"]
    )
    assert added.exit_code == 0, added.output
    first = json.loads(added.stdout)["firstSync"]
    assert (first["status"], first["trigger"], first["mode"]) == (
        "completed",
        "source_connected",
        "full",
    )
    assert first["metrics"]["filesProcessed"] == 2
    duplicate = runner.invoke(cli_app, ["sources", "add", "git", str(repo.path), "--name", "lh"])
    assert duplicate.exit_code == 2
    not_a_repo = runner.invoke(cli_app, ["sources", "add", "git", str(cli_home.parent)])
    assert not_a_repo.exit_code == 2
    assert "not a git repository" in not_a_repo.output

    repo.write("keeper.py", "def log_ship(name, port):\n    return f'{name} left {port}'\n")
    repo.commit("ports")
    synced = runner.invoke(cli_app, ["sync", "lh", "--json"])
    assert synced.exit_code == 0, synced.output
    completed = json.loads(synced.stdout)
    assert completed["status"] == "completed"
    assert completed["metrics"]["filesProcessed"] == 1
    assert set(completed) >= {"jobId", "status", "metrics", "durationMs"}

    listed = json.loads(runner.invoke(cli_app, ["jobs", "--json"]).stdout)
    assert [j["jobId"] for j in listed] == [completed["jobId"], first["jobId"]]
    shown = runner.invoke(cli_app, ["job", completed["jobId"]])
    assert shown.exit_code == 0 and "completed" in shown.stdout
    hits = json.loads(runner.invoke(cli_app, ["search", "ship log", "-k", "2", "--json"]).stdout)
    assert {h["location"] for h in hits} == {"README.md", "keeper.py"}
    unknown = runner.invoke(cli_app, ["sync", "nope"])
    assert unknown.exit_code == 2


def test_cli_add_options_come_from_the_source_config(cli_home: Path, repo: Repo) -> None:
    runner = CliRunner()
    help_text = runner.invoke(cli_app, ["sources", "add", "--help"]).output
    for source_type in ("git", "github", "linear"):
        assert source_type in help_text
    github_help = runner.invoke(cli_app, ["sources", "add", "github", "--help"]).output
    for flag in ("--token-env", "--app-id", "--webhook-secret-env", "--include", "--every"):
        assert flag in github_help
    bad_repository = runner.invoke(cli_app, ["sources", "add", "github", "not-a-repository"])
    assert bad_repository.exit_code == 2
    assert "REPOSITORY: Value error, expected OWNER/REPO" in bad_repository.output
    bad_schedule = runner.invoke(
        cli_app, ["sources", "add", "git", str(repo.path), "--every", "sometimes"]
    )
    assert bad_schedule.exit_code == 2
    assert "neither an interval" in bad_schedule.output


def test_the_cli_shows_and_removes_a_source_keeping_its_jobs(cli_home: Path, repo: Repo) -> None:
    small_repo(repo)
    runner = CliRunner()
    added = runner.invoke(
        cli_app,
        ["sources", "add", "git", str(repo.path), "--name", "lh", "--every", "1h", "--json"],
    )
    assert added.exit_code == 0, added.output
    job_id = json.loads(added.stdout)["firstSync"]["jobId"]
    shown = json.loads(runner.invoke(cli_app, ["sources", "show", "lh", "--json"]).stdout)
    assert shown["schedule"] == "1h" and shown["nextSyncAt"]
    assert shown["documents"] == 2
    assert shown["cursor"]["commit"]
    assert shown["lastJob"]["jobId"] == job_id
    listed = runner.invoke(cli_app, ["sources", "list"]).stdout
    assert "lh" in listed and "1h" in listed

    removed = runner.invoke(cli_app, ["sources", "remove", "lh"])
    assert removed.exit_code == 0, removed.output
    assert json.loads(runner.invoke(cli_app, ["sources", "list", "--json"]).stdout) == []
    assert json.loads(runner.invoke(cli_app, ["search", "ship", "--json"]).stdout) == []
    job = json.loads(runner.invoke(cli_app, ["job", job_id, "--json"]).stdout)
    assert (job["status"], job["source"]) == ("completed", "lh")
    again = runner.invoke(cli_app, ["sources", "add", "git", str(repo.path), "--name", "lh"])
    assert again.exit_code == 0, again.output


def test_the_cli_prints_names_globs_and_messages_as_text_not_markup(
    cli_home: Path, repo: Repo
) -> None:
    small_repo(repo)
    runner = CliRunner()
    glob = "[/a]*.md"  # a glob of a bracket expression reads as a Rich closing tag
    added = runner.invoke(
        cli_app,
        ["sources", "add", "git", str(repo.path), "--name", "lh", "--include", glob, "--no-sync"],
    )
    assert added.exit_code == 0, added.output

    shown = runner.invoke(cli_app, ["sources", "show", "lh"])
    missing = runner.invoke(cli_app, ["sources", "show", "x[/i][bold]"])

    assert shown.exit_code == 0, shown.output
    assert glob in shown.stdout
    assert missing.exit_code == 2
    assert "no source with id or name 'x[/i][bold]'" in missing.output


def test_two_cli_syncs_at_once_share_one_engine_and_both_finish(cli_home: Path, repo: Repo) -> None:
    small_repo(repo)
    runner = CliRunner()
    added = runner.invoke(
        cli_app, ["sources", "add", "git", str(repo.path), "--name", "lh", "--no-sync"]
    )
    assert added.exit_code == 0, added.output
    env = {**os.environ, "SOURCESYNC_HOME": str(cli_home), "SOURCESYNC_ENGINE_PORT": "1"}
    command = [sys.executable, "-m", "sourcesync.cli", "sync", "lh", "--json"]
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=240) for process in processes]
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, (
            out.decode()[-2000:],
            err.decode()[-2000:],
            failed_runs(cli_home / "engine.db"),
        )
    jobs = [json.loads(out) for out, _ in outputs]
    assert {job["status"] for job in jobs} == {"completed"}
    views = json.loads(runner.invoke(cli_app, ["jobs", "--json"]).stdout)
    spans = sorted((v["startedAt"], v["finishedAt"]) for v in views)
    assert all(end <= start for (_, end), (start, _) in itertools.pairwise(spans)), spans
