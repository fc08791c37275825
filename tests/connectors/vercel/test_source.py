"""The source against the fake: full and incremental syncs, retention, validation, and
env var values that never leave the API's answer."""

from __future__ import annotations

import pytest

from sourcesync.connectors.errors import SourceConfigError
from sourcesync.connectors.vercel import (
    vercel_build_log_id,
    vercel_deployment_id,
    vercel_project_id,
)
from sourcesync.connectors.vercel.cursor import VercelCursor
from sourcesync.connectors.vercel.source import VercelSource
from sourcesync.documents import Document
from tests.fakes.vercel import (
    ENV_VALUES,
    LOG_SECRETS,
    FakeVercel,
    TeamData,
    failing_log,
    populate,
)

from .conftest import SourceFactory


def _sync(
    source: VercelSource, cursor: VercelCursor | None = None
) -> tuple[list[Document], list[str], VercelCursor]:
    documents: list[Document] = []
    deleted: list[str] = []
    latest = cursor
    for batch in source.changes(cursor):
        documents += batch.documents
        deleted += batch.deleted_ids
        if batch.cursor is not None:
            assert isinstance(batch.cursor, VercelCursor)
            latest = batch.cursor
    assert latest is not None
    return documents, deleted, latest


def _by_id(documents: list[Document]) -> dict[str, Document]:
    return {d.id: d for d in documents}


def test_a_full_sync_pages_through_every_deployment(
    vercel: FakeVercel, make_source: SourceFactory
) -> None:
    data = populate(vercel, {"checkout": 180, "docs": 90, "api": 50})
    documents, deleted, cursor = _sync(make_source(keep=1000))
    assert not deleted
    ids = _by_id(documents)
    uids = [uid for project in data.deployments.values() for uid in project]
    assert len(uids) == 320
    assert {vercel_deployment_id(uid) for uid in uids} <= set(ids)
    finished = [u for u in uids if vercel.deployments[u]["state"] != "BUILDING"]
    assert {vercel_build_log_id(uid) for uid in finished} <= set(ids)
    assert {vercel_project_id(p["id"]) for p in data.projects.values()} <= set(ids)
    assert len(ids) == len(documents) == 320 + len(finished) + 3
    pages = [
        r
        for r in vercel.requests
        if r.path == "/v6/deployments"
        and r.query.get("projectId") == data.projects["checkout"]["id"]
    ]
    assert len(pages) == 2 and "until" in pages[1].query
    assert cursor.since == max(d["created"] for d in vercel.deployments.values())
    assert len(cursor.projects[data.projects["checkout"]["id"]]) == 180


def test_no_env_var_value_or_log_secret_reaches_a_document(
    vercel: FakeVercel, make_source: SourceFactory
) -> None:
    populate(vercel, {"checkout": 30, "docs": 10})
    documents, _, cursor = _sync(make_source())
    stored = "\n".join(d.model_dump_json() for d in documents) + cursor.model_dump_json()
    for secret in (*ENV_VALUES, *LOG_SECRETS):
        assert secret not in stored
    assert all(r.query.get("decrypt") != "true" for r in vercel.requests)
    env_requests = [r for r in vercel.requests if r.path.endswith("/env")]
    assert env_requests and all(r.query["decrypt"] == "false" for r in env_requests)


def test_documents_say_what_failed_and_where_it_was_built_from(
    vercel: FakeVercel, make_source: SourceFactory
) -> None:
    data = populate(vercel, {"checkout": 8})
    documents = _by_id(_sync(make_source())[0])
    failed_uid = data.deployments["checkout"][3]
    failed = documents[vercel_deployment_id(failed_uid)]
    sha = vercel.deployments[failed_uid]["meta"]["githubCommitSha"]
    assert failed.metadata["state"] == "ERROR"
    assert "Module not found: Can't resolve '@/lib/stripe-client'" in failed.content
    assert f"acme/checkout@{sha}" in failed.content
    assert failed.metadata["git"] == {
        "provider": "github",
        "repository": "acme/checkout",
        "ref": "main",
        "sha": sha,
        "message": "checkout: change 3",
        "pr": None,
        "url": f"https://github.com/acme/checkout/commit/{sha}",
        "github_documents_prefix": "github:file:acme/checkout:",
    }
    log = documents[vercel_build_log_id(failed_uid)]
    assert "STRIPE_SECRET_KEY=[REDACTED]" in log.content
    assert log.content.index("Failed to compile") < log.content.index("Module not found")
    project = documents[vercel_project_id(data.projects["checkout"]["id"])]
    assert "NEXT_PUBLIC_API_URL: preview, development" in project.content
    assert "- preview: FEATURE_FLAGS, NEXT_PUBLIC_API_URL, STRIPE_SECRET_KEY" in project.content
    assert project.metadata["production_domain"] == "checkout.acme.com"


def _team(vercel: FakeVercel) -> TeamData:
    return populate(vercel, {"checkout": 6, "docs": 4}, building=True)


def test_an_incremental_sync_reads_new_finished_and_gone_deployments(
    vercel: FakeVercel, make_source: SourceFactory
) -> None:
    data = _team(vercel)
    source = make_source()
    _, _, cursor = _sync(source)
    checkout = data.projects["checkout"]
    building = data.deployments["checkout"][-1]
    assert building in cursor.pending
    vercel.finish(building, "ERROR", 61_000)
    vercel.events[building] = [
        {"type": "stderr", "created": 1, "payload": {"text": "Error: out of memory"}}
    ]
    new = vercel.add_deployment(checkout, sha="f" * 40, log=failing_log(99), state="ERROR")
    gone = data.deployments["docs"][0]
    vercel.delete_deployment(gone)
    vercel.remove_project(data.projects["docs"]["id"])

    documents, deleted, after = _sync(make_source(), cursor)
    ids = _by_id(documents)
    assert set(ids) == {
        vercel_deployment_id(building),
        vercel_build_log_id(building),
        vercel_deployment_id(new["uid"]),
        vercel_build_log_id(new["uid"]),
        vercel_project_id(checkout["id"]),
    }
    assert "Error: out of memory" in ids[vercel_deployment_id(building)].content
    docs_names = [vercel_project_id(data.projects["docs"]["id"])] + [
        name
        for uid in data.deployments["docs"]
        for name in (vercel_deployment_id(uid), vercel_build_log_id(uid))
    ]
    assert set(deleted) == set(docs_names)
    assert after.pending == []
    assert data.projects["docs"]["id"] not in after.projects


def test_a_building_deployment_that_was_deleted_is_removed(
    vercel: FakeVercel, make_source: SourceFactory
) -> None:
    data = _team(vercel)
    _, _, cursor = _sync(make_source())
    building = data.deployments["docs"][-1]
    vercel.delete_deployment(building)
    _, deleted, after = _sync(make_source(), cursor)
    assert vercel_deployment_id(building) in deleted
    assert building not in after.pending
    assert building not in after.projects[data.projects["docs"]["id"]]


def test_retention_keeps_the_newest_deployments_per_project(
    vercel: FakeVercel, make_source: SourceFactory
) -> None:
    data = populate(vercel, {"checkout": 6})
    documents, _, cursor = _sync(make_source(keep=4))
    uids = data.deployments["checkout"]
    ids = _by_id(documents)
    assert vercel_deployment_id(uids[1]) not in ids and vercel_deployment_id(uids[2]) in ids
    newer = vercel.add_deployment(data.projects["checkout"], sha="e" * 40)
    documents, deleted, _ = _sync(make_source(keep=4), cursor)
    assert vercel_deployment_id(newer["uid"]) in _by_id(documents)
    assert set(deleted) == {vercel_deployment_id(uids[2]), vercel_build_log_id(uids[2])}


def test_a_sync_without_changes_stores_the_same_documents(
    vercel: FakeVercel, make_source: SourceFactory
) -> None:
    _team(vercel)
    first, _, cursor = _sync(make_source())
    again, deleted, _ = _sync(make_source(), cursor)
    before = {d.id: d.content_hash for d in first}
    assert not deleted
    assert all(before[d.id] == d.content_hash for d in again)


def test_only_the_named_projects_are_synced(vercel: FakeVercel, make_source: SourceFactory) -> None:
    data = populate(vercel, {"checkout": 3, "docs": 3})
    documents, _, _ = _sync(make_source(projects=["docs"]))
    projects = {d.metadata["project"]["name"] for d in documents if "project" in d.metadata}
    assert projects == {"docs"}
    assert vercel_project_id(data.projects["docs"]["id"]) in _by_id(documents)


def test_validate_reports_the_user_team_and_projects(
    vercel: FakeVercel, make_source: SourceFactory
) -> None:
    populate(vercel, {"checkout": 1})
    assert make_source().validate() == "johndoe in team acme: 1 project(s): checkout"
    with pytest.raises(SourceConfigError, match="no team 'nope'"):
        make_source(team="nope").validate()
    with pytest.raises(SourceConfigError, match="no project 'shop'"):
        make_source(projects=["shop"]).validate()


def test_build_logs_can_be_left_out(vercel: FakeVercel, make_source: SourceFactory) -> None:
    data = populate(vercel, {"checkout": 5})
    documents = _by_id(_sync(make_source(build_logs=False))[0])
    assert not [i for i in documents if i.startswith("vercel:build-log:")]
    failed = documents[vercel_deployment_id(data.deployments["checkout"][3])]
    assert "Module not found" in failed.content


def test_commit_messages_and_error_messages_are_redacted(
    vercel: FakeVercel, make_source: SourceFactory
) -> None:
    project = vercel.add_project("checkout", repo="acme/checkout")
    leaked = "ghp_LeakedInACommitMessage0123456789ab"
    item = vercel.add_deployment(project, sha="9" * 40, message=f"ci: use {leaked}")
    item["errorMessage"] = f"STRIPE_SECRET_KEY=sk_live_{'x' * 20}"
    documents = _sync(make_source())[0]
    stored = "\n".join(d.model_dump_json() for d in documents)
    assert leaked not in stored and "sk_live_" not in stored
    assert "ci: use [REDACTED]" in _by_id(documents)[vercel_deployment_id(item["uid"])].content


def test_rate_limits_during_a_sync_are_waited_out(
    vercel: FakeVercel, make_source: SourceFactory, sleeps: list[float]
) -> None:
    populate(vercel, {"checkout": 3})
    vercel.fail_next(429, {"Retry-After": "2"}, path="/v6/deployments")
    vercel.fail_next(500, path="/v3/deployments/")
    documents, _, _ = _sync(make_source())
    assert len(documents) == 3 + 3 + 1
    assert sleeps == [2.0, 0.5]


def test_a_named_project_that_was_removed_is_deleted_by_the_next_sync(
    vercel: FakeVercel, make_source: SourceFactory
) -> None:
    data = populate(vercel, {"checkout": 2, "docs": 1})
    _, _, cursor = _sync(make_source(projects=["checkout", "docs"]))
    vercel.remove_project(data.projects["docs"]["id"])
    _, deleted, _ = _sync(make_source(projects=["checkout", "docs"]), cursor)
    assert vercel_project_id(data.projects["docs"]["id"]) in deleted
    with pytest.raises(SourceConfigError, match="no project 'docs'"):
        make_source(projects=["checkout", "docs"]).validate()
