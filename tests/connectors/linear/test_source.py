"""`LinearSource` against the loopback Linear: listing, documents, incremental changes."""

import math
from datetime import UTC, datetime, timedelta

import pytest

from sourcesync.connectors.linear.ids import linear_issue_id, linear_project_id
from sourcesync.connectors.linear.settings import LinearSettings
from sourcesync.connectors.linear.source import LinearBatch, LinearSource
from sourcesync.documents import Document
from tests.fakes.linear import FakeLinear

from .conftest import Workspace


def documents_of(batches: list[LinearBatch]) -> dict[str, Document]:
    documents = [document for batch in batches for document in batch.documents]
    ids = [document.id for document in documents]
    assert len(ids) == len(set(ids)), "a document was yielded twice"
    return {document.id: document for document in documents}


def full_sync(source: LinearSource) -> tuple[list[LinearBatch], datetime]:
    batches = list(source.iter_changes(None))
    return batches, batches[-1].cursor


def at_cursor(workspace: Workspace) -> set[str]:
    """What `updatedAt >= cursor` reads again after the full sync: its newest item."""
    return {linear_issue_id(workspace.design_issues[-1]["id"])}


def test_full_listing_pages_through_every_live_item(
    source: LinearSource, settings: LinearSettings, linear: FakeLinear, workspace: Workspace
) -> None:
    batches, _ = full_sync(source)

    expected = {linear_issue_id(i["id"]) for i in workspace.live_issues} | {
        linear_project_id(p["id"]) for p in workspace.live_projects
    }
    assert set(documents_of(batches)) == expected
    assert all(batch.deleted_ids == [] for batch in batches)
    assert all(len(batch.documents) <= settings.batch_size for batch in batches)
    assert len(batches) == math.ceil(len(expected) / settings.batch_size)
    # Listing: issues (live ones only in a full sync) and projects, page by page.
    issue_pages = math.ceil(len(workspace.live_issues) / settings.id_page_size)
    assert len(linear.requests_named("IssueChanges")) == issue_pages
    assert len(linear.requests_named("ProjectChanges")) == 1
    for request in linear.requests_named("IssueChanges"):
        assert request.variables["first"] == settings.id_page_size
    for request in linear.requests_named("IssuesById"):
        assert request.variables["first"] == settings.batch_size
        assert len(request.variables["ids"]) <= settings.batch_size
    # The rest of the 53 comments and 26 sub-issues, `nested_page_size` at a time.
    assert len(linear.requests_named("IssueCommentsPage")) == math.ceil((54 - 50) / 3)
    assert len(linear.requests_named("IssueChildrenPage")) == math.ceil((26 - 25) / 3)


def test_batches_come_oldest_first(source: LinearSource) -> None:
    batches, _ = full_sync(source)

    cursors = [batch.cursor for batch in batches]
    assert cursors == sorted(cursors)
    for batch in batches:
        for document in batch.documents:
            assert datetime.fromisoformat(str(document.metadata["updated_at"])) <= batch.cursor


def test_issue_document_has_fields_comments_and_relationships(
    source: LinearSource, workspace: Workspace
) -> None:
    documents = documents_of(full_sync(source)[0])

    parent = documents[linear_issue_id(workspace.parent["id"])]
    assert parent.source_type == "linear"
    assert parent.workspace_id == "ws" and parent.source_id == "src-linear"
    assert parent.title == "ENG-1: Ship search"
    assert parent.url == "https://linear.app/acme/issue/ENG-1"
    assert "The **whole** search project." in parent.content
    for fact in (
        "State: In Progress (started)",
        "Priority: High",
        "Assignee: Alice",
        "Project: Search revamp",
        "Cycle: Cycle 3",
        "Labels: bug, backend",
    ):
        assert fact in parent.content
    children = parent.metadata["children"]
    assert isinstance(children, list)
    assert [c["identifier"] for c in children] == [f"ENG-{n}" for n in range(2, 28)]
    assert parent.metadata["project"] == {"id": workspace.search["id"], "name": "Search revamp"}
    assert parent.metadata["labels"] == ["bug", "backend"]

    child = documents[linear_issue_id(workspace.children[0]["id"])]
    assert child.metadata["parent"] == {
        "id": workspace.parent["id"],
        "identifier": "ENG-1",
        "title": "Ship search",
    }

    blocker = documents[linear_issue_id(workspace.blocker["id"])]
    blocked = documents[linear_issue_id(workspace.blocked["id"])]
    assert [r["identifier"] for r in blocker.metadata["blocks"]] == ["ENG-30"]
    assert [r["identifier"] for r in blocked.metadata["blocked_by"]] == ["ENG-29"]
    assert "Blocked by: ENG-29 (Upgrade the index)" in blocked.content
    for issue, other in ((workspace.related_a, "ENG-32"), (workspace.related_b, "ENG-31")):
        related = documents[linear_issue_id(issue["id"])].metadata["related"]
        assert [r["identifier"] for r in related] == [other]


def test_comments_come_in_order_with_authors_past_the_first_page(
    source: LinearSource, workspace: Workspace
) -> None:
    documents = documents_of(full_sync(source)[0])

    chatty = documents[linear_issue_id(workspace.chatty["id"])]
    assert chatty.metadata["comment_count"] == 54
    positions = [chatty.content.index(f"comment number {n}\n") for n in range(53)]
    assert positions == sorted(positions)
    assert "### Alice on 2024-01-01 00:28 UTC\n\ncomment number 0\n" in chatty.content
    assert "### Bob on 2024-01-01 00:28 UTC\n\ncomment number 1\n" in chatty.content
    assert chatty.content.index("comment number 52") < chatty.content.index("posted by a bot")


def test_project_document_lists_its_issues(source: LinearSource, workspace: Workspace) -> None:
    documents = documents_of(full_sync(source)[0])

    search = documents[linear_project_id(workspace.search["id"])]
    assert search.title == "Search revamp"
    assert search.url == f"https://linear.app/acme/project/{workspace.search['id']}"
    assert "Status: Started (started)" in search.content
    assert "Lead: Alice" in search.content
    assert "Teams: Engineering (ENG)" in search.content
    assert "Target date: 2024-06-30" in search.content
    assert "Sub-second search." in search.content
    listed = [i["identifier"] for i in search.metadata["issues"]]
    assert listed == [f"ENG-{n}" for n in range(1, 28)]
    assert "- ENG-27: Search step 25" in search.content


def test_list_ids_returns_every_live_issue_and_project(
    source: LinearSource, workspace: Workspace
) -> None:
    assert source.list_ids() == {linear_issue_id(i["id"]) for i in workspace.live_issues} | {
        linear_project_id(p["id"]) for p in workspace.live_projects
    }
    assert source.list_ids(teams=["DES"]) == {
        linear_issue_id(i["id"]) for i in workspace.design_issues
    } | {linear_project_id(workspace.brand["id"])}


def test_teams_limit_the_sync(source: LinearSource, workspace: Workspace) -> None:
    documents = documents_of(list(source.iter_changes(None, teams=["DES"])))

    assert set(documents) == {linear_issue_id(i["id"]) for i in workspace.design_issues} | {
        linear_project_id(workspace.brand["id"])
    }


def test_incremental_after_an_update_returns_only_that_issue(
    source: LinearSource, linear: FakeLinear, workspace: Workspace
) -> None:
    _, cursor = full_sync(source)
    linear.tick()
    linear.update_issue(workspace.blocked["id"], title="Use the new index everywhere")

    batches = list(source.iter_changes(cursor))

    documents = documents_of(batches)
    assert set(documents) == {linear_issue_id(workspace.blocked["id"])} | at_cursor(workspace)
    assert documents[linear_issue_id(workspace.blocked["id"])].title == (
        "ENG-30: Use the new index everywhere"
    )
    assert batches[-1].cursor == linear.clock
    assert list(source.iter_changes(batches[-1].cursor + timedelta(seconds=1))) == []


def test_incremental_after_a_new_comment_reprocesses_its_issue(
    source: LinearSource, linear: FakeLinear, workspace: Workspace
) -> None:
    _, cursor = full_sync(source)
    linear.tick()
    linear.add_comment(workspace.related_a, workspace.bob, "Found a corner case")

    batches = list(source.iter_changes(cursor))

    documents = documents_of(batches)
    assert set(documents) == {linear_issue_id(workspace.related_a["id"])} | at_cursor(workspace)
    assert "### Bob on" in documents[linear_issue_id(workspace.related_a["id"])].content
    assert "Found a corner case" in documents[linear_issue_id(workspace.related_a["id"])].content
    assert batches[-1].cursor == linear.clock


def test_incremental_after_an_archive_reports_the_id_for_deletion(
    source: LinearSource, linear: FakeLinear, workspace: Workspace
) -> None:
    _, cursor = full_sync(source)
    linear.tick()
    linear.archive_issue(workspace.related_b["id"])
    linear.archive_project(workspace.brand["id"])

    batches = list(source.iter_changes(cursor))

    assert set(documents_of(batches)) == at_cursor(workspace)
    deleted = [i for batch in batches for i in batch.deleted_ids]
    assert sorted(deleted) == sorted(
        [linear_issue_id(workspace.related_b["id"]), linear_project_id(workspace.brand["id"])]
    )
    assert linear_issue_id(workspace.related_b["id"]) not in source.list_ids()


def test_overlap_fetches_items_changed_just_before_the_cursor(
    settings: LinearSettings, linear: FakeLinear, workspace: Workspace
) -> None:
    wide = LinearSettings(**{**settings.__dict__, "overlap": timedelta(minutes=2, seconds=30)})
    with LinearSource(workspace_id="ws", source_id="src", settings=wide) as source:
        _, cursor = full_sync(source)
        batches = list(source.iter_changes(cursor))

    # Design issues came a minute apart, the last at the cursor: 2.5 minutes reach three.
    assert set(documents_of(batches)) == {
        linear_issue_id(i["id"]) for i in workspace.design_issues[-3:]
    }


def test_fetch_reports_missing_issues_for_deletion(
    source: LinearSource, linear: FakeLinear, workspace: Workspace
) -> None:
    linear.delete_issue(workspace.related_b["id"])

    fetched = source.fetch(issue_ids=[workspace.related_b["id"], workspace.blocker["id"]])

    assert [d.id for d in fetched.documents] == [linear_issue_id(workspace.blocker["id"])]
    assert fetched.deleted_ids == [linear_issue_id(workspace.related_b["id"])]


def test_naive_cursor_is_refused(source: LinearSource) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        list(source.iter_changes(datetime(2024, 1, 1)))


def test_validate_names_the_viewer_and_checks_teams(
    source: LinearSource, workspace: Workspace
) -> None:
    from sourcesync.connectors.errors import SourceConfigError

    assert source.validate(teams=["ENG", "DES"]) == "Alice"
    with pytest.raises(SourceConfigError, match="NOPE"):
        source.validate(teams=["ENG", "NOPE"])


def test_cursor_is_utc_aware(source: LinearSource, workspace: Workspace) -> None:
    _, cursor = full_sync(source)
    assert cursor.utcoffset() == timedelta(0)
    assert cursor == datetime(2024, 1, 1, tzinfo=UTC) + (
        datetime.fromisoformat(workspace.design_issues[-1]["updatedAt"])
        - datetime(2024, 1, 1, tzinfo=UTC)
    )
