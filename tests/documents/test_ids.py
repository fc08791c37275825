import pytest

from sourcesync.documents import (
    chunk_id,
    git_file_id,
    github_file_id,
    linear_comment_id,
    linear_issue_id,
    linear_project_id,
    notion_page_id,
    slack_thread_id,
    vercel_deployment_id,
)


def test_ids_follow_the_design_formats() -> None:
    assert github_file_id("acme", "api", "src/main.py") == "github:file:acme/api:src/main.py"
    assert git_file_id("dotfiles", "vim/init.lua") == "git:file:dotfiles:vim/init.lua"
    assert linear_issue_id("ENG-42") == "linear:issue:ENG-42"
    assert linear_project_id("p1") == "linear:project:p1"
    assert linear_comment_id("c1") == "linear:comment:c1"
    assert vercel_deployment_id("dpl_9") == "vercel:deployment:dpl_9"
    assert notion_page_id("0f1e") == "notion:page:0f1e"
    assert slack_thread_id("C024BE91L", "1512085950.000216") == (
        "slack:thread:C024BE91L:1512085950.000216"
    )


def test_chunk_ids_number_chunks_of_a_document() -> None:
    assert chunk_id("linear:issue:ENG-42", 0) == "linear:issue:ENG-42#0"
    assert chunk_id("github:file:acme/api:a.py", 12) == "github:file:acme/api:a.py#12"


def test_file_paths_lose_leading_slashes_so_apis_agree() -> None:
    assert github_file_id("acme", "api", "/src/main.py") == github_file_id(
        "acme", "api", "src/main.py"
    )
    assert git_file_id("r", "//a/b") == "git:file:r:a/b"


@pytest.mark.parametrize(
    "build",
    [
        lambda: github_file_id("", "api", "a.py"),
        lambda: github_file_id("acme", "api", "/"),
        lambda: linear_issue_id(""),
        lambda: slack_thread_id("C1", " 1.2"),
        lambda: chunk_id("doc", -1),
        lambda: chunk_id("", 0),
    ],
)
def test_empty_or_padded_parts_are_rejected(build: object) -> None:
    with pytest.raises(ValueError):
        build()  # type: ignore[operator]
