from sourcesync.connectors.file_source import FileRef
from sourcesync.connectors.github.tree import files_at, list_files
from tests.fakes.github import FakeGitHub, GitRepo

from .conftest import FILES, SourceFactory, blob_of

INDEXED = {path for path in FILES if not path.startswith("node_modules/")}


def test_a_full_plan_lists_the_branch_in_one_tree_request(
    github: FakeGitHub, repo: GitRepo, make_source: SourceFactory
) -> None:
    plan = make_source().plan(None, full=True)

    assert plan.full
    assert plan.head == repo.git("rev-parse", "HEAD")
    assert github.counts["tree"] == 1
    assert {ref.path for ref in plan.files} == INDEXED  # no symlink, no node_modules
    for ref in plan.files:
        assert ref == FileRef(ref.path, blob_of(repo, ref.path), len(_bytes(FILES[ref.path])))


def test_a_truncated_tree_is_walked_folder_by_folder_to_the_same_files(
    github: FakeGitHub, make_source: SourceFactory
) -> None:
    complete = make_source().plan(None, full=True)
    github.truncate_trees_over = 3
    github.requests.clear()

    walked = make_source().plan(None, full=True)

    assert sorted(walked.files, key=_path) == sorted(complete.files, key=_path)
    assert github.tree_requests(recursive=False) >= 2  # the root and src/, at least
    assert github.tree_requests(recursive=True) > 1


def test_files_at_walks_only_the_folders_leading_to_the_paths(
    github: FakeGitHub, repo: GitRepo, make_source: SourceFactory
) -> None:
    source = make_source()
    head = source.validate()
    github.truncate_trees_over = 2
    github.requests.clear()

    found = files_at(source.client, head, ["src/widgets/io/readers.py", "missing.txt"])

    assert list(found) == ["src/widgets/io/readers.py"]
    assert found["src/widgets/io/readers.py"].sha == blob_of(repo, "src/widgets/io/readers.py")
    requested = {request.path.rsplit("/", 1)[1] for request in github.requests}
    assert repo.git("rev-parse", "HEAD:docs") not in requested
    assert repo.git("rev-parse", "HEAD:src/widgets/io") in requested


def test_list_files_leaves_out_symlinks_and_submodules(
    repo: GitRepo, make_source: SourceFactory
) -> None:
    submodule_commit = repo.git("rev-parse", "HEAD")
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{submodule_commit},vendored-lib")
    head = repo.commit("add a submodule")
    source = make_source()

    paths = {file.path for file in list_files(source.client, head)}

    assert "LINK.md" not in paths
    assert "vendored-lib" not in paths
    assert "README.md" in paths


def _bytes(content: str | bytes) -> bytes:
    return content.encode() if isinstance(content, str) else content


def _path(ref: FileRef) -> str:
    return ref.path
