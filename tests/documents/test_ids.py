import pytest

from sourcesync.documents import chunk_id, path_part, readable_id, scoped_document_id


def test_readable_ids_join_their_parts() -> None:
    assert readable_id("github", "file", "acme/api", "src/main.py") == (
        "github:file:acme/api:src/main.py"
    )
    assert readable_id("linear", "issue", "ENG-42") == "linear:issue:ENG-42"


def test_a_source_scopes_the_names_of_its_documents() -> None:
    name = readable_id("github", "file", "acme/api", "a.py")
    assert scoped_document_id("src_1", name) == "src_1:github:file:acme/api:a.py"
    assert scoped_document_id("src_1", name) != scoped_document_id("src_2", name)


def test_chunk_ids_number_chunks_of_a_document() -> None:
    assert chunk_id("src_1:linear:issue:ENG-42", 0) == "src_1:linear:issue:ENG-42#0"
    assert chunk_id("github:file:acme/api:a.py", 12) == "github:file:acme/api:a.py#12"


def test_file_paths_lose_leading_slashes_so_apis_agree() -> None:
    assert path_part("/src/main.py") == path_part("src/main.py") == "src/main.py"
    assert path_part("//a/b") == "a/b"


@pytest.mark.parametrize(
    "build",
    [
        lambda: readable_id("github", "", "a.py"),
        readable_id,
        lambda: path_part("/"),
        lambda: readable_id("slack", " 1.2"),
        lambda: scoped_document_id("", "x"),
        lambda: chunk_id("doc", -1),
        lambda: chunk_id("", 0),
    ],
)
def test_empty_or_padded_parts_are_refused(build: object) -> None:
    with pytest.raises(ValueError):
        build()  # type: ignore[operator]
