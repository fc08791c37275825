"""The dashboard's pages against a real sync: what they show, and what they refuse."""

from __future__ import annotations

import asyncio
import re

import httpx
import inngest
from typer.testing import CliRunner

from sourcesync import actions, cli, db
from sourcesync.dashboard import create_dashboard
from sourcesync.keys import engine_keys
from tests.pipeline.conftest import Harness, Repo

from .conftest import build_repo, csrf_of, make_token, signed_in


async def synced(harness: Harness, repo: Repo) -> str:
    build_repo(repo)
    actions.add_source(harness.services, "git", {"path": str(repo.path)}, name="widgets")
    outcome = await harness.sync("widgets")
    assert outcome.completed["status"] == "completed"
    return str(outcome.job["jobId"])


async def test_pages_need_a_session_and_the_json_api_still_answers_401(
    harness: Harness,
) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=harness.runtime.app), base_url="http://dash"
    ) as anonymous:
        page = await anonymous.get("/runs?status=failed")
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=/runs?status=failed"
        assert (await anonymous.get("/api/jobs")).status_code == 401
        refused = await anonymous.post("/login", data={"token": "ssk_not-a-token"})
        assert refused.status_code == 401
        assert "not valid" in refused.text
        acting = await anonymous.post("/runs/01ABC/cancel", data={"csrf": "x"})
        assert acting.status_code == 401


async def test_the_session_cookie_holds_no_token_and_is_strict(harness: Harness) -> None:
    token = actions.local_api_token(harness.services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=harness.runtime.app), base_url="http://dash"
    ) as client:
        response = await client.post("/login", data={"token": token, "next": "//evil.example"})
        assert response.status_code == 303
        assert response.headers["location"] == "/"  # never another site
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert token not in cookie and token.removeprefix("ssk_") not in cookie
        assert (await client.get("/jobs")).status_code == 200


async def test_a_sync_shows_in_jobs_job_trace_runs_and_events(
    harness: Harness, repo: Repo, browser: httpx.AsyncClient
) -> None:
    job_id = await synced(harness, repo)

    jobs = (await browser.get("/jobs")).text
    assert job_id in jobs and "widgets" in jobs and "completed" in jobs

    job = (await browser.get(f"/jobs/{job_id}")).text
    assert re.search(r'data-metric="filesProcessed">4<', job)
    assert re.search(r'data-metric="documentsProcessed">4<', job)
    labels = re.findall(r'<span class="tl-label"><a href="/runs/[^"]+">([^<]+)</a>', job)
    # orchestrator first, what it invoked under it, then the batches (2 files each).
    assert labels[0] == "sync-orchestrator"
    assert labels[1:3] == ["store-ensure", "git-sync"]
    assert {"files-batch-processor #0", "files-batch-processor #1"} <= set(labels)
    assert {"docs-batch-coordinator #0", "docs-batch-coordinator #1"} <= set(labels)
    assert "documents-process" in labels

    orchestrator = re.search(r'href="/runs/([0-9A-Z]+)">sync-orchestrator<', job)
    assert orchestrator
    run = (await browser.get(f"/runs/{orchestrator.group(1)}")).text
    steps = re.findall(
        r'<li class="step" id="step-[^"]+">\s*<div class="step-head">\s*<strong>([^<]+)</strong>',
        run,
    )
    assert steps[:5] == [
        "create-job",
        "ensure-store",
        "validate-source",
        "sync-git",
        "collect-metrics",
    ]
    assert 'Invoked <a href="/runs/' in run  # ensure-store and sync-git link their runs
    assert "apps-console/sync.requested" in run

    events = (await browser.get("/events?name=apps-console/sync.completed")).text
    assert "apps-console/sync.completed" in events
    functions = (await browser.get("/functions")).text
    assert (
        "sourcesync-sync-orchestrator" in functions and "apps-console/sync.requested" in functions
    )

    runs = (
        await browser.get("/runs?function=sourcesync-sync-orchestrator&status=completed&period=1h")
    ).text
    assert orchestrator.group(1) in runs
    assert (await browser.get("/runs?status=bogus")).status_code == 400

    found = (await browser.get("/search?q=flux+capacitor&source=widgets")).text
    assert "docs/guide.md" in found


async def test_no_secret_reaches_a_page(
    harness: Harness, repo: Repo, browser: httpx.AsyncClient
) -> None:
    token = actions.local_api_token(harness.services)
    job_id = await synced(harness, repo)
    keys = engine_keys(harness.services.settings.home)
    pages = ["/jobs", f"/jobs/{job_id}", "/runs", "/events", "/functions", "/sources", "/send"]
    for path in pages:
        text = (await browser.get(path)).text
        for secret in (keys.signing_key, keys.event_key, token):
            assert secret not in text, path


async def test_forms_need_the_csrf_token_and_a_token_that_may_act(
    harness: Harness, browser: httpx.AsyncClient
) -> None:
    send_page = (await browser.get("/send")).text
    csrf = csrf_of(send_page)
    forged = await browser.post("/send", data={"name": "demo/ping", "data": "{}"})
    assert forged.status_code == 403
    other_site = await browser.post(
        "/send",
        data={"name": "demo/ping", "data": "{}", "csrf": csrf},
        headers={"Origin": "http://evil.example"},
    )
    assert other_site.status_code == 403
    bad_json = await browser.post("/send", data={"name": "demo/ping", "data": "[1", "csrf": csrf})
    assert bad_json.status_code == 400 and "not valid JSON" in bad_json.text
    engine_only = await browser.post(
        "/send", data={"name": "inngest/function.finished", "data": "{}", "csrf": csrf}
    )
    assert engine_only.status_code == 400
    sent = await browser.post("/send", data={"name": "demo/ping", "data": '{"n": 1}', "csrf": csrf})
    assert sent.status_code == 303 and sent.headers["location"].startswith("/events/")

    reader = await signed_in(harness, make_token(harness, db.TokenScope.READ))
    try:
        reader_csrf = csrf_of((await reader.get("/send")).text)
        refused = await reader.post(
            "/send", data={"name": "demo/ping", "data": "{}", "csrf": reader_csrf}
        )
        assert refused.status_code == 403 and "read-only" in refused.text
        assert "disabled" in (await reader.get("/send")).text
    finally:
        await reader.aclose()


async def test_the_engine_port_serves_the_same_dashboard(harness: Harness) -> None:
    engine_url = harness.runtime.engine.url
    token = actions.local_api_token(harness.services)
    async with httpx.AsyncClient(base_url=engine_url) as client:
        assert (await client.get("/runs")).status_code == 303
        assert (await client.get("/v0/runs")).status_code == 401  # its API keeps its key
        signed = await client.post("/login", data={"token": token})
        assert signed.status_code == 303
        assert "Functions" in (await client.get("/functions")).text
        assert (await client.get("/static/htmx.min.js")).status_code == 200


async def test_a_read_only_token_may_read_the_api_but_not_act(harness: Harness) -> None:
    token = make_token(harness, db.TokenScope.READ)
    async with harness.api(token) as api:
        assert (await api.get("/api/jobs")).status_code == 200
        refused = await api.post("/api/sync", json={"source": "widgets"})
        assert refused.status_code == 403
        assert "read-only" in refused.json()["detail"]


async def test_a_one_time_link_signs_in_once(harness: Harness) -> None:
    result = CliRunner().invoke(
        cli.app,
        ["dashboard", "--no-open", "--port", "8123"],
        env={"SOURCESYNC_HOME": str(harness.services.settings.home)},
    )
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    assert url.startswith("http://127.0.0.1:8123/login/link?code=")
    assert actions.local_api_token(harness.services) not in url
    path = url.removeprefix("http://127.0.0.1:8123")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=harness.runtime.app), base_url="http://dash"
    ) as client:
        first = await client.get(path)
        assert first.status_code == 303 and "sourcesync_session" in first.headers["set-cookie"]
        assert (await client.get("/jobs")).status_code == 200
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=harness.runtime.app), base_url="http://dash"
    ) as other:
        again = await other.get(path)
        assert again.status_code == 401 and "used or expired" in again.text
        forged = await other.get(path[:-3] + "AAA")
        assert forged.status_code == 401


async def test_a_large_payload_is_cut_with_a_way_to_see_it_all(
    browser: httpx.AsyncClient,
) -> None:
    csrf = csrf_of((await browser.get("/send")).text)
    words = " ".join(f"word{n}" for n in range(2_000))
    sent = await browser.post(
        "/send", data={"name": "demo/large", "data": f'{{"text": "{words}"}}', "csrf": csrf}
    )
    page = (await browser.get(sent.headers["location"])).text
    assert "word1999" not in page
    link = re.search(r'<a href="(/events/[0-9A-Z]+/payload)">See all</a>', page)
    assert link
    whole = await browser.get(link.group(1))
    assert whole.json()["data"]["text"] == words


async def test_without_the_embedded_engine_engine_pages_point_to_inngest(
    harness: Harness,
) -> None:
    app = create_dashboard(harness.services, inngest.Inngest(app_id="sourcesync"), None)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://dash"
    ) as client:
        await client.post("/login", data={"token": actions.local_api_token(harness.services)})
        for path in ("/runs", "/events", "/functions", "/send"):
            page = await client.get(path)
            assert page.status_code == 404 and "Inngest" in page.text, path
        assert (await client.get("/jobs")).status_code == 200


async def test_a_function_is_invoked_with_a_payload_from_its_page(
    harness: Harness, browser: httpx.AsyncClient
) -> None:
    fn = "sourcesync-sources-scheduler"
    page = (await browser.get(f"/functions/{fn}")).text
    assert "Invoke" in page and "* * * * *" in page  # its configuration, its cron
    csrf = csrf_of(page)
    bad = await browser.post(f"/functions/{fn}/invoke", data={"data": "[]", "csrf": csrf})
    assert bad.status_code == 400 and "must be a JSON object" in bad.text
    missing = await browser.post("/functions/nope/invoke", data={"data": "{}", "csrf": csrf})
    assert missing.status_code == 404
    invoked = await browser.post(
        f"/functions/{fn}/invoke", data={"data": '{"why": "a test"}', "csrf": csrf}
    )
    assert invoked.status_code == 303
    run_id = invoked.headers["location"].removeprefix("/runs/")
    run = await harness.runtime.engine.wait_for_run(run_id)
    assert run.function_id == fn
    run_page = (await browser.get(f"/runs/{run_id}")).text
    assert "inngest/function.invoked" in run_page


async def test_a_job_page_names_its_failed_batches_and_document_errors(
    harness: Harness, repo: Repo, browser: httpx.AsyncClient
) -> None:
    job_id = await synced(harness, repo)
    workspace = actions.workspace_id(harness.services)

    def record_failures() -> None:
        with harness.services.transaction() as session:
            db.record_batch_outcome(
                session, job_id, db.BatchKind.FILES, 7, failed=2, error="the source timed out"
            )
            db.record_document_failure(
                session,
                job_id=job_id,
                workspace_id=workspace,
                document_id="doc-1",
                stage=db.FailureStage.EMBED,
                message="the embedder refused <this>",
            )

    # Off the event loop: the runtime's last steps may still be writing, and need the loop.
    await asyncio.to_thread(record_failures)
    page = (await browser.get(f"/jobs/{job_id}")).text
    assert "files batch #7</strong>: the source timed out" in page
    assert "embed" in page and "the embedder refused &lt;this&gt;" in page  # escaped


async def test_another_workspace_sees_its_jobs_but_not_the_shared_engine(
    harness: Harness, repo: Repo
) -> None:
    await synced(harness, repo)

    def other_token() -> str:
        with harness.services.transaction() as session:
            db.ensure_workspace(session, "other", workspace_id="other")
            return db.create_token(session, "other", "other team")[1]

    # Off the event loop: the runtime's last steps may still be writing, and need the loop.
    other = await signed_in(harness, await asyncio.to_thread(other_token))
    try:
        jobs = await other.get("/jobs")
        assert jobs.status_code == 200 and "widgets" not in jobs.text
        for path in ("/runs", "/events", "/functions", "/send"):
            refused = await other.get(path)
            assert refused.status_code == 403 and "every workspace" in refused.text, path
    finally:
        await other.aclose()
