from sourcesync.connectors.file_source import FileRef

from .conftest import SourceFactory

COMMIT = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"


def test_a_file_becomes_a_document_with_a_stable_id_and_a_link_at_the_commit(
    make_source: SourceFactory,
) -> None:
    ref = FileRef("notes/a file #1.txt", "b" * 40, 30)

    document = make_source(branch="main").document(head=COMMIT, ref=ref, text="hello")

    assert document.id == "github:file:octo/widgets:notes/a file #1.txt"
    assert document.source_type == "github"
    assert (document.workspace_id, document.source_id) == ("ws", "src-1")
    assert document.title == ref.path
    assert (
        document.url == f"https://github.com/octo/widgets/blob/{COMMIT}/notes/a%20file%20%231.txt"
    )
    assert document.metadata == {
        "repo": "octo/widgets",
        "branch": "main",
        "path": ref.path,
        "commit": COMMIT,
        "blob_sha": "b" * 40,
        "language": "text",
        "size": 30,
        "code_ref": {"repository": "octo/widgets", "commit": COMMIT, "role": "files"},
    }


def test_links_point_at_the_enterprise_host_and_the_default_branch_is_recorded(
    make_source: SourceFactory,
) -> None:
    source = make_source(web_url="https://ghe.example.com/")
    source.validate()

    document = source.document(
        head=COMMIT,
        ref=FileRef("src/app.py", "c" * 40, 3),
        text="x=1",
    )

    assert document.url == f"https://ghe.example.com/octo/widgets/blob/{COMMIT}/src/app.py"
    assert document.metadata["branch"] == "main"
    assert document.metadata["language"] == "python"
    assert source.document_id("/src/app.py") == document.id
