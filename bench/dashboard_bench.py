"""Dashboard page times with a large state: 10,000 runs and 500 jobs.

    .venv/bin/python bench/dashboard_bench.py [--jobs 500] [--requests 40]

Seeds a temporary home: 500 finished jobs of one source in the app database, and for each
job the 20 engine runs a sync makes (orchestrator, store-ensure, source sync, 8 files
batches, 8 documents batches, a documents-process), each with its triggering event and
its steps, spread over 3.5 days as real syncs would be. Then renders every page
`--requests` times in process (through the ASGI app, so the figure is the server's time:
queries and templates, no network) while signed in, and prints p50 and p95 per page
against the 200 ms target.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from bench.noop_embedder import NoopEmbedder
from sourcesync import actions, db
from sourcesync.engine import RunRow, RunStatus, StepStatus
from sourcesync.engine.ids import ulid_bound
from sourcesync.engine.state import StateStore
from sourcesync.runtime import EmbeddedRuntime
from sourcesync.settings import Settings
from sourcesync.workflows.services import Services

TARGET_MS = 200
JOB_SPACING_MS = 10 * 60_000
BATCHES = 8
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid_at(ms: int) -> str:
    """A ULID of millisecond ``ms`` (the engine's ids sort by time)."""
    return ulid_bound(ms)[:10] + "".join(secrets.choice(ALPHABET) for _ in range(16))


def seed_runs(store: StateStore, job_id: str, start: int) -> None:
    """The runs of one sync: what the pipeline makes for 8 files batches."""
    plan = [("sync-orchestrator", "apps-console/sync.requested", None, 7)]
    plan += [("store-ensure", "inngest/function.invoked", None, 1)]
    plan += [("git-sync", "inngest/function.invoked", None, 6)]
    plan += [("files-batch-processor", "apps-console/files.batch.process", i, 0) for i in range(8)]
    plan += [("docs-batch-coordinator", "apps-console/docs.batch.trigger", i, 2) for i in range(8)]
    plan += [("documents-process", "inngest/function.invoked", None, 0)]
    for offset, (name, event_name, index, steps) in enumerate(plan):
        at = start + offset * 400
        event_id = ulid_at(at)
        data: dict[str, Any] = {"jobId": job_id, "workspaceId": "default"}
        if index is not None:
            data["batchIndex"] = index
        store.insert_event(event_id, {"id": event_id, "name": event_name, "data": data}, at)
        run = RunRow(
            id=ulid_at(at + 1),
            function_id=f"sourcesync-{name}",
            status=RunStatus.COMPLETED,
            event_ids=[event_id],
            created_at=at,
            started_at=at + 2,
            ended_at=at + 300,
            output={"ok": True},
            error=None,
            parent_run_id=None,
            parent_step_id=None,
            concurrency_keys=[],
            priority_ms=0,
            singleton_key=None,
            state_bytes=0,
            start_deadline=None,
        )
        store.insert_run(run)
        store.finish_run(run.id, RunStatus.COMPLETED, {"ok": True}, None, at + 300)
        for n in range(steps):
            store.upsert_step(
                run.id,
                f"step{n}",
                name=f"step-{n}",
                op="StepRun",
                status=StepStatus.COMPLETED,
                now=at + 10 * n,
                memo='{"data":{"count":' + str(n) + "}}",
                attempt_done=True,
            )


def seed_jobs(services: Services, count: int, first_ms: int) -> list[tuple[str, int]]:
    """``count`` finished jobs with metrics, one every 10 minutes; returns (id, created)."""
    from datetime import UTC, datetime

    workspace = actions.workspace_id(services)
    jobs = []
    with services.transaction() as session:
        source = db.add_source(session, workspace, name="repo", type="git", config={"path": "."})
        for n in range(count):
            created_ms = first_ms + n * JOB_SPACING_MS
            job = db.create_job(
                session,
                workspace_id=workspace,
                source_id=source.id,
                trigger=db.JobTrigger.SCHEDULE,
                mode=db.SyncMode.INCREMENTAL,
            )
            job.created_at = datetime.fromtimestamp(created_ms / 1000, UTC)
            job.started_at = job.created_at
            job.files_total = job.files_processed = 400
            job.documents_processed = job.embeddings_created = 400
            session.flush()
            db.mark_job_finished(session, job.id, db.JobStatus.COMPLETED)
            jobs.append((job.id, created_ms))
    return jobs


async def sign_in(client: httpx.AsyncClient, token: str) -> None:
    response = await client.post("/login", data={"token": token})
    if response.status_code != 303:
        raise SystemExit(f"sign-in failed: {response.status_code}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["SOURCESYNC_HOME"] = home
        services = Services.from_settings(Settings(home=Path(home)))
        services.embedder = NoopEmbedder()
        runtime = EmbeddedRuntime(services)
        await runtime.start()
        try:
            now = time.time_ns() // 1_000_000
            first = now - args.jobs * JOB_SPACING_MS
            jobs = seed_jobs(services, args.jobs, first)
            store = runtime.engine.state
            with store.transaction():
                for job_id, created in jobs:
                    seed_runs(store, job_id, created + 1_000)
            runs = store.list_runs(limit=1_000_000)
            print(f"seeded {len(jobs)} jobs and {len(runs):,} runs", flush=True)
            middle_job = jobs[len(jobs) // 2][0]
            a_run = runs[len(runs) // 2]
            pages = {
                "jobs": "/jobs",
                "jobs, page 6": "/jobs?offset=250",
                "job (trace of 20 runs)": f"/jobs/{middle_job}",
                "sources": "/sources",
                "runs": "/runs",
                "runs of a function, completed": (
                    "/runs?function=sourcesync-git-sync&status=completed"
                ),
                "run (7 steps)": f"/runs/{a_run.id}",
                "events": "/events",
                "events by name": "/events?name=apps-console/sync.requested",
                "event": f"/events/{a_run.event_ids[0]}",
                "functions": "/functions",
                "send event form": "/send",
            }
            transport = httpx.ASGITransport(app=runtime.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                await sign_in(client, actions.local_api_token(services))
                print(f"{'page':34} {'p50':>8} {'p95':>8}  target p95 <= {TARGET_MS} ms")
                for label, path in pages.items():
                    times = []
                    for _ in range(args.requests):
                        started = time.perf_counter()
                        response = await client.get(path)
                        times.append((time.perf_counter() - started) * 1000)
                        if response.status_code != 200:
                            raise SystemExit(f"{path}: {response.status_code}")
                    p50 = statistics.median(times)
                    p95 = statistics.quantiles(times, n=20)[-1]
                    mark = "ok" if p95 <= TARGET_MS else "OVER"
                    print(f"{label:34} {p50:6.1f} ms {p95:6.1f} ms  {mark}", flush=True)
        finally:
            await runtime.stop()


if __name__ == "__main__":
    asyncio.run(main())
