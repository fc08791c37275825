"""The REST API and the webhooks refuse what they must, with a 4xx and a message."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sourcesync import actions, db
from sourcesync.cli import app as cli_app

from .conftest import Harness, Repo

SECRET_ENV = "SOURCESYNC_TEST_SECURITY_SECRET"


def small_repo(repo: Repo) -> None:
    repo.write("README.md", "# Lighthouse\n\nThe keeper logs every passing ship.\n")
    repo.commit("initial")


def other_workspace_token(harness: Harness) -> str:
    with harness.services.transaction() as session:
        db.ensure_workspace(session, "other", workspace_id="other")
        _, secret = db.create_token(session, "other", "someone else")
    return secret


async def test_every_api_route_needs_a_valid_token(harness: Harness) -> None:
    async with harness.api(token="ssk_not-a-token") as forged:
        for method, path in (
            ("GET", "/api/jobs"),
            ("GET", "/api/jobs/job_1"),
            ("POST", "/api/sync"),
            ("GET", "/api/search?q=x"),
            ("GET", "/api/sources"),
            ("GET", "/api/source-types"),
            ("POST", "/api/jobs/job_1/cancel"),
        ):
            response = await forged.request(method, path, json={} if method == "POST" else None)
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
        forged.headers.pop("Authorization")
        missing = await forged.get("/api/jobs")
        assert missing.status_code == 401 and "tokens create" in missing.json()["detail"]

    workspace = actions.workspace_id(harness.services)
    with harness.services.transaction() as session:
        token, secret = db.create_token(session, workspace, "revoked soon")
        db.revoke_token(session, token.id)
    async with harness.api(token=secret) as revoked:
        assert (await revoked.get("/api/jobs")).status_code == 401


async def test_a_token_sees_its_own_workspace_only(harness: Harness, repo: Repo) -> None:
    small_repo(repo)
    actions.add_source(harness.services, "git", {"path": str(repo.path)}, name="lh")
    synced = await harness.sync("lh")
    job_id = synced.job["jobId"]
    async with harness.api(token=other_workspace_token(harness)) as other:
        assert (await other.get(f"/api/jobs/{job_id}")).status_code == 404
        assert (await other.post(f"/api/jobs/{job_id}/cancel")).status_code == 404
        assert (await other.get("/api/jobs")).json() == []
        assert (await other.get("/api/sources")).json() == []
        assert (await other.get("/api/search", params={"q": "keeper"})).json() == []
        refused = await other.post("/api/sync", json={"source": "lh"})
        assert refused.status_code == 404
    async with harness.api() as mine:
        assert (await mine.get(f"/api/jobs/{job_id}")).status_code == 200
        assert (await mine.get("/api/search", params={"q": "keeper"})).json()


async def test_bad_bodies_and_parameters_are_refused_with_a_message(harness: Harness) -> None:
    async with harness.api() as client:
        huge = await client.post(
            "/api/sync",
            content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
            headers={"Content-Type": "application/json"},
        )
        assert huge.status_code == 413
        for body, status, words in (
            (b'{"source": NaN}', 400, "NaN"),
            (b'{"source": 1e999}', 400, "out of range"),
            (b"[" * 100_000 + b"]" * 100_000, 400, "nested"),
            (b"{not json", 400, "not JSON"),
        ):
            response = await client.post(
                "/api/sync", content=body, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == status, body[:20]
            assert words in response.json()["detail"]
        text = await client.post(
            "/api/sync", content=b"source=lh", headers={"Content-Type": "text/plain"}
        )
        assert text.status_code == 415
        assert (await client.get("/api/jobs", params={"limit": -1})).status_code == 422
        assert (await client.get("/api/jobs", params={"status": "bogus"})).status_code == 422
        extra = await client.post("/api/sync", json={"source": "lh", "evil": True})
        assert extra.status_code == 422


async def test_webhooks_refuse_oversized_deep_and_unlabelled_deliveries(
    harness: Harness, repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, "s3cret")
    monkeypatch.setenv("SOURCESYNC_TEST_SECURITY_TOKEN", "unused")
    with harness.services.transaction() as session:
        db.add_source(
            session,
            actions.workspace_id(harness.services),
            name="widgets",
            type="github",
            config={"repository": "octo/widgets", "webhook_secret_env": SECRET_ENV},
        )

    def signed(body: bytes) -> dict[str, str]:
        digest = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        return {"X-Hub-Signature-256": f"sha256={digest}", "X-GitHub-Event": "push"}

    async with harness.api() as client:
        big = await client.post(
            "/webhooks/github", headers={"Content-Length": str(200 * 1024 * 1024)}, content=b""
        )
        assert big.status_code == 413
        push = json.dumps(
            {
                "ref": "refs/heads/main",
                "before": "a" * 40,
                "after": "b" * 40,
                "repository": {"full_name": "octo/widgets"},
            }
        ).encode()
        unlabelled = await client.post("/webhooks/github", content=push, headers=signed(push))
        assert unlabelled.status_code == 400 and "X-GitHub-Delivery" in unlabelled.json()["error"]
        deep = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
        response = await client.post(
            "/webhooks/github",
            content=deep,
            headers={**signed(deep), "X-GitHub-Delivery": "d-1"},
        )
        assert response.status_code == 400
        assert (await client.post("/webhooks/nope", content=b"{}")).status_code == 404
        assert (await client.post("/webhooks/git", content=b"{}")).status_code == 404


def test_serve_on_a_public_interface_needs_a_token_made_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCESYNC_HOME", str(tmp_path / "home"))
    refused = CliRunner().invoke(cli_app, ["serve", "--host", "0.0.0.0"])
    assert refused.exit_code == 2
    assert "sourcesync tokens create" in refused.output
    assert (tmp_path / "home" / "api-token").stat().st_mode & 0o777 == 0o600
    made = CliRunner().invoke(cli_app, ["tokens", "create", "--name", "ci", "--json"])
    assert made.exit_code == 0, made.output
    secret = json.loads(made.stdout)["token"]
    listed = CliRunner().invoke(cli_app, ["tokens", "list", "--json"]).stdout
    assert secret not in listed and "ci" in listed


async def test_the_workflow_endpoint_refuses_calls_the_engine_did_not_sign(
    harness: Harness,
) -> None:
    async with harness.api() as client:
        forged = await client.post(
            "/api/inngest",
            params={"fnId": "sourcesync-documents-removed", "stepId": "step"},
            json={
                "event": {
                    "name": "apps-console/documents.removed",
                    "data": {"workspaceId": "default", "sourceId": "s", "documentIds": ["d"]},
                },
                "events": [],
                "steps": {},
                "ctx": {"run_id": "01FORGED", "attempt": 0, "stack": {"stack": []}},
            },
        )
    assert forged.status_code == 401, forged.text
