"""Notion through the whole pipeline: the issue's "done when", against the fake."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sourcesync import actions, search_hits
from sourcesync.cli import app as cli_app
from sourcesync.connectors.notion.ids import notion_data_source_id, notion_page_id
from sourcesync.embeddings import LocalEmbedder
from tests.fakes.notion import FakeNotion, Workspace, seed_workspace
from tests.pipeline.conftest import Harness, running_harness

from .conftest import TOKEN_ENV


@pytest.fixture
async def synced(
    tmp_path: Path,
    notion: FakeNotion,
    local_embedder: LocalEmbedder,
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[Harness, Workspace]]:
    rows = getattr(request, "param", 30)
    workspace = seed_workspace(notion, rows=rows)
    async with running_harness(tmp_path, local_embedder, notion_api_url=notion.url) as harness:
        actions.add_source(harness.services, "notion", {"token_env": TOKEN_ENV}, name="wiki")
        yield harness, workspace


def _names(workspace: Workspace) -> set[str]:
    return {notion_page_id(i) for i in workspace.pages} | {
        notion_data_source_id(i) for i in workspace.data_sources
    }


async def _done_when(harness: Harness, workspace: Workspace, notion: FakeNotion) -> None:
    first = await harness.sync("wiki")
    assert first.completed["status"] == "completed", first.completed
    metrics = first.completed["metrics"]
    assert metrics["documentsProcessed"] == len(_names(workspace))
    assert metrics["filesFailed"] == 0
    assert set(await harness.chunks()) == _names(workspace)

    hits = await search_hits.search(
        harness.services, "where is the brass astrolabe stowed?", k=3, source_ref="wiki"
    )
    assert Harness.name(hits[0].document_id) == notion_page_id(workspace.needle_row)
    assert (
        hits[0].location
        == f"Lighthouse handbook / Voyages / Voyage {17 if len(workspace.rows) > 17 else len(workspace.rows) - 1}"
    )

    notion.tick()
    notion.append_paragraph(workspace.duties, "Wind the fog horn's clockwork at noon.")
    notion.trash(workspace.rows[1])
    notion.revoke(workspace.private)
    notion.tick()
    second = await harness.sync("wiki")
    assert second.job["mode"] == "incremental"
    assert second.completed["status"] == "completed", second.completed
    assert second.completed["metrics"]["documentsProcessed"] == 1
    assert second.completed["metrics"]["filesDeleted"] == 2
    left = set(await harness.chunks())
    assert notion_page_id(workspace.rows[1]) not in left
    assert notion_page_id(workspace.private) not in left
    hits = await search_hits.search(harness.services, "fog horn clockwork at noon", k=1)
    assert Harness.name(hits[0].document_id) == notion_page_id(workspace.duties)


async def test_a_sync_finds_words_inside_a_toggle_in_a_column_of_a_rows_page(
    synced: tuple[Harness, Workspace], notion: FakeNotion
) -> None:
    harness, workspace = synced
    await _done_when(harness, workspace, notion)


@pytest.mark.slow
@pytest.mark.parametrize("synced", [250], indirect=True)
async def test_the_whole_fake_workspace_with_250_rows(
    synced: tuple[Harness, Workspace], notion: FakeNotion
) -> None:
    harness, workspace = synced
    await _done_when(harness, workspace, notion)


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, notion: FakeNotion) -> Path:
    home = tmp_path / "cli-home"
    monkeypatch.setenv("SOURCESYNC_HOME", str(home))
    monkeypatch.setenv("SOURCESYNC_ENGINE_PORT", "1")
    monkeypatch.setenv("SOURCESYNC_NOTION_API_URL", notion.url)
    return home


def test_sources_add_notion_as_the_readme_says(
    cli_home: Path, notion: FakeNotion, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = seed_workspace(notion, rows=3)
    monkeypatch.setenv("NOTION_TOKEN", notion.token)
    runner = CliRunner()
    added = runner.invoke(
        cli_app, ["sources", "add", "notion", "--token-env", "NOTION_TOKEN", "--json"]
    )
    assert added.exit_code == 0, added.output
    first = json.loads(added.stdout)["firstSync"]
    assert first["status"] == "completed", first
    assert first["metrics"]["documentsProcessed"] == len(_names(workspace))

    monkeypatch.setenv("SOURCESYNC_TEST_BAD_NOTION", "ntn_not_the_token")
    refused = runner.invoke(
        cli_app,
        [
            "sources",
            "add",
            "notion",
            "--token-env",
            "SOURCESYNC_TEST_BAD_NOTION",
            "--name",
            "other",
        ],
    )
    assert refused.exit_code != 0
    assert "SOURCESYNC_TEST_BAD_NOTION" in refused.output
