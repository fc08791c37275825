"""The sync pipeline end to end on a git repository built by the test."""

from __future__ import annotations

from pathlib import Path

from sourcesync import actions, db, search_hits
from sourcesync.connectors.git.transform import git_file_id

from .conftest import FAIL_MARKER, Harness, Repo

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))


def build(repo: Repo) -> None:
    repo.write(
        "README.md", "# Widgets\n\nWidgets are assembled from sprockets.\n\n## Usage\n\nRun it.\n"
    )
    repo.write(
        "src/app.py",
        "def assemble(sprocket):\n    return sprocket * 2\n\n\nclass Widget:\n    pass\n",
    )
    repo.write(
        "docs/guide.md", "# Guide\n\nThe guide explains calibration of the flux capacitor.\n"
    )
    repo.write("notes.txt", "Meeting notes: the launch moves to Tuesday.\n\nBring snacks.\n")
    repo.write("logo.png", PNG)
    repo.write("data/big.txt", "x" * 5_000)
    repo.write("broken.txt", f"This text makes the embedder fail: {FAIL_MARKER}\n")
    repo.write("node_modules/lib/index.js", "module.exports = 1;\n")
    repo.write("empty.py", "")
    repo.commit("initial")


def doc_id(path: str) -> str:
    return git_file_id("widgets", path)


async def add_source(harness: Harness, repo: Repo) -> None:
    actions.add_source(harness.services, "git", {"path": str(repo.path)}, name="widgets")


async def test_full_sync_counts_exactly_what_happened(harness: Harness, repo: Repo) -> None:
    build(repo)
    await add_source(harness, repo)
    outcome = await harness.sync("widgets")

    metrics = outcome.completed["metrics"]
    assert outcome.completed["status"] == "completed_with_errors"
    assert metrics["filesProcessed"] == 4
    assert metrics["filesSkipped"] == 3  # png (binary), big.txt (too large), empty.py
    assert metrics["filesFailed"] == 1  # broken.txt
    assert metrics["filesDeleted"] == 0
    assert metrics["documentsProcessed"] == 4
    chunks = await harness.chunks()
    assert set(chunks) == {
        doc_id(p) for p in ("README.md", "src/app.py", "docs/guide.md", "notes.txt")
    }
    assert metrics["embeddingsCreated"] == sum(len(ids) for ids in chunks.values())
    assert outcome.job["metrics"] == metrics
    assert outcome.job["status"] == "completed_with_errors"
    assert outcome.completed["durationMs"] > 0
    [failure] = outcome.job["failures"]
    assert harness.name(failure["documentId"]) == doc_id("broken.txt")
    assert failure["stage"] == "embed"
    assert "rejected" in failure["message"]
    hits = await search_hits.search(harness.services, "calibrating the flux capacitor", k=1)
    assert harness.name(hits[0].document_id) == doc_id("docs/guide.md")


async def test_resync_without_changes_embeds_nothing(harness: Harness, repo: Repo) -> None:
    build(repo)
    await add_source(harness, repo)
    await harness.sync("widgets")
    before = await harness.chunks()

    incremental = await harness.sync("widgets")
    assert incremental.completed["status"] == "completed"
    assert incremental.completed["metrics"]["embeddingsCreated"] == 0
    assert incremental.completed["metrics"]["filesProcessed"] == 0

    full = await harness.sync("widgets", full=True)
    assert full.completed["metrics"]["embeddingsCreated"] == 0
    assert full.completed["metrics"]["filesProcessed"] == 0
    assert full.completed["metrics"]["filesSkipped"] == 7  # 4 unchanged + 3 unindexable
    assert full.completed["metrics"]["filesFailed"] == 1  # broken.txt is retried, fails again
    assert await harness.chunks() == before


async def test_incremental_sync_follows_changes_deletions_and_renames(
    harness: Harness, repo: Repo
) -> None:
    build(repo)
    await add_source(harness, repo)
    await harness.sync("widgets")
    before = await harness.chunks()

    repo.write("notes.txt", "Meeting notes: the launch moved to Thursday after all.\n")
    repo.git("rm", "-q", "docs/guide.md")
    repo.git("mv", "src/app.py", "src/main.py")
    repo.write("CHANGELOG.md", "# Changelog\n\n- first release of the widget assembler\n")
    repo.commit("second")
    outcome = await harness.sync("widgets")

    metrics = outcome.completed["metrics"]
    assert outcome.job["mode"] == "incremental"
    assert metrics["filesProcessed"] == 3  # notes.txt, src/main.py, CHANGELOG.md
    assert metrics["filesDeleted"] == 2  # docs/guide.md, src/app.py
    after = await harness.chunks()
    assert doc_id("docs/guide.md") not in after
    assert doc_id("src/app.py") not in after
    assert doc_id("src/main.py") in after and doc_id("CHANGELOG.md") in after
    assert after[doc_id("README.md")] == before[doc_id("README.md")]
    assert metrics["embeddingsCreated"] == sum(
        len(after[doc_id(p)]) for p in ("notes.txt", "src/main.py", "CHANGELOG.md")
    )
    all_ids = [chunk for ids in after.values() for chunk in ids]
    assert len(all_ids) == len(set(all_ids)), "a chunk is duplicated in the store"
    notes = harness.document(doc_id("notes.txt"))
    assert notes is not None and notes.embedded_hash == notes.content_hash
    deleted = harness.document(doc_id("docs/guide.md"))
    assert deleted is not None and deleted.status == db.DocumentStatus.DELETED


async def test_rewritten_history_falls_back_to_a_full_sync(harness: Harness, repo: Repo) -> None:
    build(repo)
    await add_source(harness, repo)
    await harness.sync("widgets")
    repo.git("checkout", "-q", "--orphan", "rewritten")
    repo.git("rm", "-q", "-r", "--cached", ".")
    for path in ("notes.txt", "docs/guide.md", "src/app.py", "logo.png", "data/big.txt"):
        (repo.path / path).unlink()
    repo.commit("rewritten history")
    repo.git("branch", "-f", "main", "rewritten")
    repo.git("checkout", "-q", "main")

    outcome = await harness.sync("widgets")
    metrics = outcome.completed["metrics"]
    assert metrics["filesDeleted"] == 3  # notes.txt, docs/guide.md, src/app.py
    assert set(await harness.chunks()) == {doc_id("README.md")}


async def test_a_missing_path_fails_the_job_with_a_clear_message(
    harness: Harness, repo: Repo, tmp_path: Path
) -> None:
    build(repo)
    await add_source(harness, repo)
    _point_source_at(harness, tmp_path / "nowhere")
    outcome = await harness.sync("widgets")
    assert outcome.completed["status"] == "failed"
    assert "does not exist" in outcome.completed["error"]
    assert outcome.job["status"] == "failed"


async def test_a_folder_that_is_not_a_repository_fails_the_job(
    harness: Harness, repo: Repo, tmp_path: Path
) -> None:
    build(repo)
    await add_source(harness, repo)
    plain = tmp_path / "plain"
    plain.mkdir()
    _point_source_at(harness, plain)
    outcome = await harness.sync("widgets")
    assert outcome.completed["status"] == "failed"
    assert "is not a git repository" in outcome.completed["error"]


def _point_source_at(harness: Harness, path: Path) -> None:
    workspace = actions.workspace_id(harness.services)
    with harness.services.transaction() as session:
        source = db.require_source(session, workspace, "widgets")
        source.config = {**source.config, "path": str(path)}


async def test_symbolic_links_are_skipped_in_incremental_syncs_too(
    harness: Harness, repo: Repo
) -> None:
    repo.write("README.md", "# Widgets\n\nWidgets are assembled from sprockets.\n")
    repo.write("notes.txt", "The launch moves to Tuesday.\n")
    repo.commit("initial")
    await add_source(harness, repo)
    await harness.sync("widgets")
    (repo.path / "link.md").symlink_to("README.md")
    (repo.path / "notes.txt").unlink()
    (repo.path / "notes.txt").symlink_to("README.md")
    repo.commit("links")
    outcome = await harness.sync("widgets")
    assert outcome.job["mode"] == "incremental"
    assert outcome.completed["metrics"]["filesDeleted"] == 1  # notes.txt became a link
    assert set(await harness.chunks()) == {doc_id("README.md")}


async def test_a_git_source_of_a_folder_syncs_only_that_folder(
    harness: Harness, repo: Repo
) -> None:
    build(repo)
    actions.add_source(harness.services, "git", {"path": str(repo.path / "docs")}, name="widgets")
    outcome = await harness.sync("widgets")
    assert outcome.completed["metrics"]["filesProcessed"] == 1
    assert set(await harness.chunks()) == {doc_id("docs/guide.md")}
    repo.write("docs/more.md", "# More\n\nAnother page.\n")
    repo.write("src/other.py", "x = 1\n")
    repo.commit("both")
    again = await harness.sync("widgets")
    assert again.completed["metrics"]["filesProcessed"] == 1
    assert set(await harness.chunks()) == {doc_id("docs/guide.md"), doc_id("docs/more.md")}
