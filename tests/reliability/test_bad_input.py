"""A corpus of bad input: each item is refused or skipped with a clear message, the server
keeps serving, and none of the secrets the test set is anywhere sourcesync writes."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from pathlib import Path

import pytest

from sourcesync import actions
from sourcesync.embeddings import LocalEmbedder
from tests.fakes.github import FakeGitHub, GitRepo
from tests.fakes.linear import FakeLinear
from tests.pipeline.conftest import running_harness

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

GITHUB_TOKEN = "ghp_SECRETtoken0123456789abcdef"
GITHUB_HOOK_SECRET = "gh-hook-SECRET-3141592653"
LINEAR_HOOK_SECRET = "lin-hook-SECRET-2718281828"


def github_signature(body: bytes) -> str:
    return "sha256=" + hmac.new(GITHUB_HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()


def linear_delivery(payload: dict[str, object]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    signature = hmac.new(LINEAR_HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Linear-Signature": signature}


async def test_bad_input_is_refused_and_no_secret_is_stored(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    local_embedder: LocalEmbedder,
) -> None:
    caplog.set_level(logging.DEBUG)
    repo = GitRepo.init(tmp_path / "widgets")
    repo.write(
        {
            "README.md": "# Widgets\n\nWidgets are assembled from sprockets.\n",
            "empty.txt": "",
            "latin1.txt": "caf\xe9 cr\xe8me".encode("latin-1") + bytes([0xFF, 0xFE, 0x00]),
            "huge.log": b"x" * (50 * 1024 * 1024),
        }
    )
    repo.commit("corpus")
    with FakeGitHub(repo, token=GITHUB_TOKEN) as github, FakeLinear() as linear:
        linear_key = linear.api_key
        for name, value in (
            ("SOURCESYNC_BAD_GH_TOKEN", GITHUB_TOKEN),
            ("SOURCESYNC_BAD_GH_HOOK", GITHUB_HOOK_SECRET),
            ("SOURCESYNC_BAD_LINEAR_KEY", linear_key),
            ("SOURCESYNC_BAD_LINEAR_HOOK", LINEAR_HOOK_SECRET),
        ):
            monkeypatch.setenv(name, value)
        linear.add_user("Keeper")
        async with running_harness(
            tmp_path,
            local_embedder,
            max_file_bytes=1_000_000,
            github_api_url=github.api_url,
            github_raw_url=github.raw_url,
            linear_api_url=linear.url,
        ) as harness:
            actions.add_source(
                harness.services,
                "github",
                {
                    "repository": "octo/widgets",
                    "token_env": "SOURCESYNC_BAD_GH_TOKEN",
                    "webhook_secret_env": "SOURCESYNC_BAD_GH_HOOK",
                },
            )
            actions.add_source(
                harness.services,
                "linear",
                {
                    "token_env": "SOURCESYNC_BAD_LINEAR_KEY",
                    "webhook_secret_env": "SOURCESYNC_BAD_LINEAR_HOOK",
                },
            )
            synced = await harness.sync("widgets")
            assert synced.completed["status"] == "completed", synced.job
            metrics = synced.completed["metrics"]
            assert (metrics["filesProcessed"], metrics["filesSkipped"]) == (1, 3)

            invalid_utf8 = b'{"ref": "\xff\xfe"}'
            deep = b'{"a":' * 20_000 + b"1" + b"}" * 20_000
            stamp = int(time.time() * 1000)
            corpus: list[tuple[str, bytes, dict[str, str], int]] = [
                ("/webhooks/github", invalid_utf8, {"X-Hub-Signature-256": "sha256=00"}, 401),
                (
                    "/webhooks/github",
                    invalid_utf8,
                    {
                        "X-Hub-Signature-256": github_signature(invalid_utf8),
                        "X-GitHub-Event": "push",
                        "X-GitHub-Delivery": "bad-1",
                    },
                    400,
                ),
                (
                    "/webhooks/github",
                    deep,
                    {
                        "X-Hub-Signature-256": github_signature(deep),
                        "X-GitHub-Event": "push",
                        "X-GitHub-Delivery": "bad-2",
                    },
                    400,
                ),
                (
                    "/webhooks/linear",
                    *linear_delivery(
                        {"action": "update", "type": "Issue", "webhookTimestamp": float("nan")}
                    ),
                    400,
                ),
                (
                    "/webhooks/linear",
                    *linear_delivery(
                        {"action": "update", "type": "Issue", "webhookTimestamp": 1e30}
                    ),
                    400,
                ),
                (
                    "/webhooks/linear",
                    *linear_delivery(
                        {
                            "action": "explode",
                            "type": "Issue",
                            "webhookTimestamp": stamp,
                            "data": {"id": "i"},
                        }
                    ),
                    400,
                ),
                ("/api/sync", b'{"source": NaN}', {"Content-Type": "application/json"}, 400),
                ("/api/sync", deep, {"Content-Type": "application/json"}, 400),
                ("/api/sync", invalid_utf8, {"Content-Type": "application/json"}, 400),
                (
                    "/api/sources",
                    b'{"type": "git", "config": {"path": 5}}',
                    {"Content-Type": "application/json"},
                    422,
                ),
            ]
            async with harness.api() as client:
                for path, body, headers, status in corpus:
                    response = await client.post(path, content=body, headers=headers)
                    assert response.status_code == status, (path, body[:40], response.text)
                    message = response.json()
                    assert message.get("error") or message.get("detail"), response.text
                assert (await client.get("/api/jobs")).status_code == 200  # still serving

    written = [path for path in (tmp_path / "home").rglob("*") if path.is_file()]
    assert any(path.name == "sourcesync.db" for path in written)
    assert any(path.name == "engine.db" for path in written)
    assert any("vectors" in path.parts for path in written)
    secrets = [GITHUB_TOKEN, GITHUB_HOOK_SECRET, LINEAR_HOOK_SECRET, linear_key]
    for path in written:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"a secret is in {path}"
    for secret in secrets:
        assert secret not in caplog.text, "a secret is in the logs"
