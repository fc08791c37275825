import pytest

from sourcesync.connectors.file_source import FilePlan, FileRef
from tests.fakes.github import FakeGitHub, GitRepo

from .conftest import SourceFactory, blob_of


def _change_everything(repo: GitRepo) -> tuple[str, str]:
    """Modify, add, remove and rename files in one commit; return (base, head)."""
    base = repo.git("rev-parse", "HEAD")
    repo.write(
        {
            "src/widgets/core.py": "def make() -> str:\n    return 'better widget'\n",
            "src/widgets/new.py": "NEW = True\n",
            "node_modules/left-pad/index.js": "module.exports = betterPad;\n",
        }
    )
    repo.remove("docs/guide/advanced.md")
    repo.rename("docs/guide/intro.md", "docs/intro.md")
    return base, repo.commit("change everything")


def _summary(plan: FilePlan) -> tuple[set[FileRef], set[str]]:
    return set(plan.files), set(plan.deleted_paths)


def test_an_incremental_plan_has_added_modified_removed_and_renamed_files(
    github: FakeGitHub, repo: GitRepo, make_source: SourceFactory
) -> None:
    base, head = _change_everything(repo)

    plan = make_source().plan(base, full=False)

    assert not plan.full
    assert plan.head == head
    changed = {"src/widgets/core.py", "src/widgets/new.py", "docs/intro.md"}
    assert set(plan.files) == {
        FileRef(path, blob_of(repo, path), len((repo.path / path).read_bytes())) for path in changed
    }
    assert set(plan.deleted_paths) == {"docs/guide/advanced.md", "docs/guide/intro.md"}
    assert github.counts["compare"] == 1
    assert github.counts["tree"] == 1  # the head's tree, for the sizes


def test_no_new_commits_plans_nothing(github: FakeGitHub, make_source: SourceFactory) -> None:
    source = make_source()
    head = source.validate()

    plan = source.plan(head, full=False)

    assert (plan.files, plan.deleted_paths, plan.full) == ([], (), False)
    assert github.counts["compare"] == github.counts["tree"] == 0


def test_a_compare_at_its_file_cap_falls_back_to_diffing_the_trees(
    github: FakeGitHub, repo: GitRepo, make_source: SourceFactory
) -> None:
    base, _ = _change_everything(repo)
    expected = _summary(make_source().plan(base, full=False))
    github.compare_cap = 3
    github.requests.clear()

    plan = make_source(compare_files_cap=3).plan(base, full=False)

    assert not plan.full
    assert _summary(plan) == expected
    assert "diffed the trees" in plan.notes[0]
    assert github.tree_requests(recursive=True) == 2  # base and head


def test_a_compare_below_the_cap_is_trusted(
    github: FakeGitHub, repo: GitRepo, make_source: SourceFactory
) -> None:
    base, _ = _change_everything(repo)
    github.compare_cap = 4  # the five changed files are cut to four, unnoticed by a source
    # told the cap is GitHub's 300: proof that the fallback test above exercises the cap.

    plan = make_source().plan(base, full=False)

    assert len(plan.files) + len(plan.deleted_paths) < 5


@pytest.mark.parametrize("history", ["diverged", "behind", "vanished"])
def test_a_base_no_longer_in_the_branch_history_plans_a_full_sync(
    history: str, repo: GitRepo, make_source: SourceFactory
) -> None:
    first = repo.git("rev-parse", "HEAD")
    repo.write({"src/widgets/draft.py": "DRAFT = 1\n"})
    synced = repo.commit("draft, later force-pushed away")
    repo.reset_hard(first)
    if history != "behind":
        repo.write({"src/widgets/final.py": "FINAL = 1\n"})
        repo.commit("final")
    if history == "vanished":
        repo.drop_unreachable()

    plan = make_source().plan(synced, full=False)

    assert plan.full
    assert "src/widgets/draft.py" not in {ref.path for ref in plan.files}
    assert synced[:12] in plan.notes[0]
    if history != "vanished":
        assert history in plan.notes[0]


def test_a_full_request_ignores_the_last_commit(
    github: FakeGitHub, repo: GitRepo, make_source: SourceFactory
) -> None:
    base, _ = _change_everything(repo)

    plan = make_source().plan(base, full=True)

    assert plan.full
    assert github.counts["compare"] == 0
