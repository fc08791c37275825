"""NotionSource against the fake: listing, rendering, incremental syncs and removals."""

from __future__ import annotations

from sourcesync.connectors.notion.cursor import NotionCursor
from sourcesync.connectors.notion.ids import notion_data_source_id, notion_page_id
from sourcesync.connectors.notion.source import NotionSource
from sourcesync.documents import Document
from tests.fakes.notion import NEEDLE, FakeNotion, Workspace, paragraph

from .conftest import OpenSource


def _sync(
    source: NotionSource, cursor: NotionCursor | None = None
) -> tuple[list[Document], list[str], NotionCursor]:
    documents: list[Document] = []
    deleted: list[str] = []
    last = None
    for batch in source.changes(cursor):
        documents += batch.documents
        deleted += batch.deleted_ids
        last = batch.cursor
    assert isinstance(last, NotionCursor)
    return documents, deleted, last


def _names(workspace: Workspace) -> set[str]:
    return {notion_page_id(i) for i in workspace.pages} | {
        notion_data_source_id(i) for i in workspace.data_sources
    }


def test_a_full_sync_reads_every_visible_page_once(
    notion: FakeNotion, workspace: Workspace, open_source: OpenSource
) -> None:
    source = open_source()
    documents, deleted, cursor = _sync(source)
    ids = [document.id for document in documents]
    assert len(ids) == len(set(ids)) == len(_names(workspace))
    assert set(ids) == _names(workspace) == source.live_ids()
    assert deleted == []
    # 250 rows page at 100: three queries of the voyages data source.
    queries = [p for m, p in notion.requests if p.endswith(f"{workspace.voyages}/query")]
    assert len(queries) == 3
    assert set(cursor.pages) == set(workspace.pages)


def test_pages_keep_their_structure_place_and_permissions(
    workspace: Workspace, open_source: OpenSource
) -> None:
    documents, _, _ = _sync(open_source())
    by_id = {document.id: document for document in documents}
    row = by_id[notion_page_id(workspace.needle_row)]
    assert row.path == "Lighthouse handbook / Voyages / Voyage 17"
    assert "- ▸ Instruments\n  " + NEEDLE.capitalize() in row.content
    assert "Captain: Ada Keeper" in row.content
    assert "Port: Tromsø" in row.content  # a relation, by the title of its page
    assert row.metadata["data_source"] == {
        "kind": "data_source",
        "id": workspace.voyages,
        "title": "Voyages",
    }
    assert row.metadata["permissions"] == {
        "public": False,
        "public_url": None,
        "integration": "Sourcesync",
        "people": {"Captain": ["Ada Keeper"]},
    }
    handbook = by_id[notion_page_id(workspace.handbook)]
    assert handbook.metadata["permissions"]["public"] is True  # type: ignore[index]
    assert "      - Level four: wind the clockwork" in handbook.content
    night = by_id[notion_page_id(workspace.night_shift)]
    assert night.path == "Lighthouse handbook / Keeper duties / Night shift"
    duties = by_id[notion_page_id(workspace.duties)]
    # A synced copy shows its original's content.
    assert "Storm protocol: close the shutters" in duties.content
    schema = by_id[notion_data_source_id(workspace.voyages)]
    assert "- Port (relation to Ports)" in schema.content
    assert "- Status (status: Planned, Done)" in schema.content


def test_an_incremental_sync_reads_edits_and_removes_trashed_and_lost_pages(
    notion: FakeNotion, workspace: Workspace, open_source: OpenSource
) -> None:
    _, _, cursor = _sync(open_source())
    notion.tick()
    notion.append_paragraph(workspace.duties, "Also wind the clock.")
    notion.trash(workspace.rows[5])
    notion.revoke(workspace.private)
    notion.tick()
    before = len(notion.requests)
    documents, deleted, after = _sync(open_source(), cursor)
    assert [d.id for d in documents] == [notion_page_id(workspace.duties)], [
        d.title for d in documents
    ]
    assert "Also wind the clock." in documents[0].content
    assert sorted(deleted) == sorted(
        [notion_page_id(workspace.rows[5]), notion_page_id(workspace.private)]
    )
    assert workspace.private not in after.pages
    # Listing 258 pages costs a few searches and queries, not a read of every page.
    assert len(notion.requests) - before < 20
    # The next sync re-reads only what falls in the overlap, and removes nothing again.
    documents, deleted, _ = _sync(open_source(), after)
    assert {d.id for d in documents} <= {notion_page_id(workspace.duties)}
    assert deleted == []


def test_trashing_a_page_removes_its_child_pages_too(
    notion: FakeNotion, workspace: Workspace, open_source: OpenSource
) -> None:
    _, _, cursor = _sync(open_source())
    notion.tick()
    notion.trash(workspace.duties)
    notion.tick()
    _, deleted, _ = _sync(open_source(), cursor)
    assert sorted(deleted) == sorted(
        [notion_page_id(workspace.duties), notion_page_id(workspace.night_shift)]
    )


def test_pages_that_search_misses_are_found_through_their_parents(
    notion: FakeNotion, workspace: Workspace, open_source: OpenSource
) -> None:
    hidden = notion.add_page("Fresh page", workspace.night_shift, blocks=[paragraph("New.")])
    notion.unindexed.add(hidden.replace("-", ""))
    documents, _, cursor = _sync(open_source())
    assert notion_page_id(hidden) in {d.id for d in documents}
    assert hidden in cursor.pages
    # Still there for the next sync, though search still does not show it.
    _, deleted, _ = _sync(open_source(), cursor)
    assert deleted == []


def test_roots_limit_the_sync_to_their_trees(workspace: Workspace, open_source: OpenSource) -> None:
    source = open_source(roots=(workspace.duties,))
    assert source.validate() == "Sourcesync (Lighthouse)"
    documents, _, _ = _sync(source)
    assert {d.id for d in documents} == {
        notion_page_id(workspace.duties),
        notion_page_id(workspace.night_shift),
    }


def test_a_page_lost_between_listing_and_reading_is_removed_not_fatal(
    notion: FakeNotion, workspace: Workspace, open_source: OpenSource
) -> None:
    notion.missing_blocks.add(workspace.night_shift.replace("-", ""))
    documents, deleted, cursor = _sync(open_source())
    assert notion_page_id(workspace.night_shift) not in {d.id for d in documents}
    assert deleted == [notion_page_id(workspace.night_shift)]
    assert workspace.night_shift not in cursor.pages


def test_rate_limits_during_a_sync_are_waited_out(
    notion: FakeNotion, workspace: Workspace, open_source: OpenSource
) -> None:
    notion.fail_next(429, times=4, retry_after="0")
    notion.fail_next(503, times=2)
    source = open_source(backoff_s=0.01)
    documents, _, _ = _sync(source)
    assert {d.id for d in documents} == _names(workspace)
    assert source.client.transport.retries == 6


def test_a_sync_stopped_after_one_batch_resumes_without_skipping_pages(
    notion: FakeNotion, workspace: Workspace, open_source: OpenSource
) -> None:
    source = open_source()
    batches = source.changes(None)
    first = next(batches)
    batches.close()  # the core stored one batch, then the step died
    assert isinstance(first.cursor, NotionCursor)
    stored = {d.id for d in first.documents}
    documents, _, _ = _sync(open_source(), first.cursor)
    assert stored | {d.id for d in documents} == _names(workspace)
