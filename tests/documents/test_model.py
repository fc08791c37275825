import pytest
from pydantic import ValidationError

from sourcesync.documents import Chunk, Document, content_hash


def make_document(**overrides: object) -> Document:
    fields: dict[str, object] = {
        "id": "github:file:acme/api:README.md",
        "workspace_id": "ws-1",
        "source_id": "src-1",
        "source_type": "github",
        "title": "README.md",
        "path": "README.md",
        "content": "# API\r\n",
    }
    return Document.model_validate(fields | overrides)


def test_content_hash_is_computed_when_not_given() -> None:
    document = make_document()
    assert document.content_hash == content_hash("# API\n")
    assert document.source_type == "github"


def test_given_content_hash_is_kept() -> None:
    given = "0" * 64
    assert make_document(content_hash=given).content_hash == given


def test_malformed_content_hash_is_rejected() -> None:
    with pytest.raises(ValidationError):
        make_document(content_hash="md5:abc")


def test_an_empty_source_type_and_extra_fields_are_rejected() -> None:
    with pytest.raises(ValidationError):
        make_document(source_type="")
    with pytest.raises(ValidationError):
        make_document(colour="red")


def test_document_round_trips_through_json() -> None:
    document = make_document(metadata={"sha": "abc", "size": 7, "labels": ["a", {"b": None}]})
    restored = Document.model_validate_json(document.model_dump_json())
    assert restored == document
    assert restored.metadata["labels"] == ["a", {"b": None}]


def test_documents_are_immutable() -> None:
    document = make_document()
    with pytest.raises(ValidationError):
        document.content = "changed"  # type: ignore[misc]


def test_chunk_id_is_derived_from_document_and_index() -> None:
    chunk = Chunk.model_validate(
        {"document_id": "linear:issue:1", "index": 3, "text": "t", "token_count": 1}
    )
    assert chunk.id == "linear:issue:1#3"
    assert Chunk.model_validate_json(chunk.model_dump_json()) == chunk


def test_chunk_with_inconsistent_id_is_rejected() -> None:
    with pytest.raises(ValidationError, match="does not match"):
        Chunk(id="doc#1", document_id="doc", index=2, text="t", token_count=1)
