"""What a user does with sources beyond syncing: two branches of one repository, schedules,
and removal."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from sourcesync import actions, db, search_hits
from sourcesync.connectors.git.transform import git_file_id
from sourcesync.workflows.schedules import InvalidScheduleError, next_run, validate_schedule
from sourcesync.workflows.sources_scheduler import claim_due_syncs

from .conftest import Harness, Repo


def two_branches(repo: Repo) -> None:
    repo.write("README.md", "# Lighthouse\n\nThe lamp burns oil.\n")
    repo.write("storms.md", "# Storms\n\nShutters close at dusk.\n")
    repo.commit("main")
    repo.git("checkout", "-q", "-b", "dev")
    repo.write("README.md", "# Lighthouse\n\nThe lamp is electric now.\n")
    repo.commit("dev")
    repo.git("checkout", "-q", "main")


async def test_two_sources_on_one_repository_never_share_a_document(
    harness: Harness, repo: Repo
) -> None:
    two_branches(repo)
    for name, branch in (("lh", "main"), ("lh-dev", "dev")):
        config = {"path": str(repo.path), "branch": branch}
        actions.add_source(harness.services, "git", config, name=name)
    await harness.sync("lh")
    await harness.sync("lh-dev")
    readme = git_file_id("lh", "README.md")
    assert harness.document(readme, "lh") is not None
    assert harness.scoped(readme, "lh") != harness.scoped(
        git_file_id("lh-dev", "README.md"), "lh-dev"
    )

    repo.git("rm", "-q", "storms.md")
    repo.commit("no storms on main")
    await harness.sync("lh")
    main_storms = harness.document(git_file_id("lh", "storms.md"), "lh")
    dev_storms = harness.document(git_file_id("lh-dev", "storms.md"), "lh-dev")
    assert main_storms is not None and main_storms.status == "deleted"
    assert dev_storms is not None and dev_storms.status == "processed"
    hits = await search_hits.search(harness.services, "electric lamp", k=1)
    assert hits[0].source == "lh-dev"


def test_schedules_are_intervals_or_cron_expressions() -> None:
    start = datetime(2026, 11, 30, 10, 7, tzinfo=UTC)
    assert validate_schedule("1H") == "1h"
    assert next_run("1h30m", start) == start + timedelta(hours=1, minutes=30)
    assert validate_schedule("0  *  * * *") == "0 * * * *"
    assert next_run("0 * * * *", start) == datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    for bad in ("sometimes", "0m", "61 * * * *", "1w"):
        with pytest.raises(InvalidScheduleError):
            validate_schedule(bad)


async def test_the_scheduler_queues_each_due_source_once(harness: Harness, repo: Repo) -> None:
    repo.write("README.md", "# Lighthouse\n")
    repo.commit("initial")
    source = actions.add_source(
        harness.services, "git", {"path": str(repo.path)}, name="lh", schedule="30m"
    )
    assert claim_due_syncs(harness.services, "run-0") == []  # due in 30 minutes, not now
    with harness.services.transaction() as session:
        due = datetime.now(UTC) - timedelta(seconds=1)
        db.set_source_schedule(session, source.id, "30m", due)

    [event] = claim_due_syncs(harness.services, "run-1")
    assert (event["sourceId"], event["trigger"], event["mode"]) == (source.id, "schedule", "full")
    assert claim_due_syncs(harness.services, "run-2") == []  # its next time moved on
    with harness.services.transaction() as session:
        db.set_source_schedule(session, source.id, "30m", due)
    assert claim_due_syncs(harness.services, "run-3") == [], "a sync is still queued"

    job = actions.job_view(harness.services, event["jobId"])
    assert (job["status"], job["trigger"]) == ("queued", "schedule")


async def test_a_schedule_check_event_runs_the_due_syncs(harness: Harness, repo: Repo) -> None:
    repo.write("README.md", "# Lighthouse\n\nThe keeper logs ships.\n")
    repo.commit("initial")
    source = actions.add_source(
        harness.services, "git", {"path": str(repo.path)}, name="lh", schedule="1h"
    )
    with harness.services.transaction() as session:
        db.set_source_schedule(session, source.id, "1h", datetime.now(UTC))
    engine = harness.runtime.engine
    [event_id] = await engine.send({"name": "apps-console/schedules.check", "data": {}})
    [run] = await engine.wait_for_runs(event_id)
    run = await engine.wait_for_run(run.id, timeout=60)
    [job_id] = run.output["queued"]
    for _ in range(600):
        view = actions.job_view(harness.services, job_id)
        if view["status"] not in ("queued", "running"):
            break
        await asyncio.sleep(0.1)
    assert (view["status"], view["trigger"]) == ("completed", "schedule")
    assert view["metrics"]["filesProcessed"] == 1


async def test_removing_a_source_deletes_its_vectors_and_keeps_its_jobs(
    harness: Harness, repo: Repo
) -> None:
    repo.write("README.md", "# Lighthouse\n\nThe keeper logs ships.\n")
    repo.commit("initial")
    actions.add_source(harness.services, "git", {"path": str(repo.path)}, name="lh")
    synced = await harness.sync("lh")
    assert await harness.chunks()
    job, _ = actions.queue_sync(harness.services, "lh", full=False, trigger="cli")
    with pytest.raises(actions.SourceBusyError, match="--force"):
        await actions.remove_source(harness.services, "lh")

    await actions.remove_source(harness.services, "lh", force=True)
    assert await harness.chunks() == {}
    assert actions.job_view(harness.services, job.id)["status"] == "cancelled"
    assert actions.job_view(harness.services, synced.job["jobId"])["source"] == "lh"
    with pytest.raises(db.SourceNotFoundError):
        actions.queue_sync(harness.services, "lh", full=False, trigger="cli")


async def test_the_api_adds_lists_and_removes_sources(harness: Harness, repo: Repo) -> None:
    repo.write("README.md", "# Lighthouse\n\nThe keeper logs ships.\n")
    repo.commit("initial")
    async with harness.api() as client:
        types = (await client.get("/api/source-types")).json()
        assert {"git", "github", "linear"} <= {t["type"] for t in types}
        unknown = await client.post("/api/sources", json={"type": "svn", "config": {}})
        assert unknown.status_code == 400 and "installed" in unknown.json()["detail"]
        invalid = await client.post("/api/sources", json={"type": "git", "config": {}})
        assert invalid.status_code == 422
        assert invalid.json()["detail"][0]["loc"] == ["path"]
        added = await client.post(
            "/api/sources",
            json={"type": "git", "name": "lh", "config": {"path": str(repo.path)}},
        )
        assert added.status_code == 201, added.text
        job_id = added.json()["firstSync"]["jobId"]
        for _ in range(600):
            job = (await client.get(f"/api/jobs/{job_id}")).json()
            if job["status"] not in ("queued", "running"):
                break
            await asyncio.sleep(0.1)
        assert (job["status"], job["trigger"]) == ("completed", "source_connected")
        [listed] = (await client.get("/api/sources")).json()
        assert (listed["name"], listed["documents"]) == ("lh", 1)
        assert (await client.get("/api/sources/lh")).json()["lastJob"]["jobId"] == job_id
        assert (await client.delete("/api/sources/lh")).status_code == 200
        assert (await client.get("/api/sources/lh")).status_code == 404
