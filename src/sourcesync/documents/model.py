"""The document and chunk models every source produces and every store receives."""

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from sourcesync.documents.hashing import content_hash
from sourcesync.documents.ids import chunk_id

__all__ = ["Chunk", "Document"]


class Document(BaseModel):
    """One unit of source content (a file, an issue, a thread) in one workspace.

    `content_hash` is computed from `content` when not given. Models are frozen; build a
    changed document with `Document.model_validate(doc.model_dump(exclude={"content_hash"})
    | {"content": new})` rather than `model_copy(update=...)`, which would skip validation
    and keep a stale hash.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    workspace_id: str = Field(min_length=1)
    source_id: str = Field(min_length=1)
    source_type: str = Field(min_length=1, max_length=32)
    title: str
    url: str | None = None
    path: str | None = None
    content: str
    metadata: dict[str, JsonValue] = Field(default_factory=dict)
    # The default only satisfies type checkers: the validator below always fills it in.
    content_hash: str = Field(default="", pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="before")
    @classmethod
    def _fill_content_hash(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("content_hash"):
            content = data.get("content")
            if isinstance(content, str):
                return {**data, "content_hash": content_hash(content)}
        return data


class Chunk(BaseModel):
    """A piece of a document small enough to embed, with where it came from.

    `id` is `{document_id}#{index}` (filled in when not given), so re-chunking a document
    replaces its chunks. `heading_path` holds the Markdown headings above the chunk
    (outermost first), empty when none apply; `start_line` and `end_line` are 1-based and
    inclusive, in the document's content with normalized line endings.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # The default only satisfies type checkers: the validators below fill it in and check it.
    id: str = ""
    document_id: str = Field(min_length=1)
    index: int = Field(ge=0)
    text: str
    token_count: int = Field(ge=0)
    heading_path: tuple[str, ...] = ()
    start_line: int | None = Field(default=None, ge=1)
    end_line: int | None = Field(default=None, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _fill_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("id"):
            document_id, index = data.get("document_id"), data.get("index")
            if isinstance(document_id, str) and document_id and isinstance(index, int):
                return {**data, "id": chunk_id(document_id, index)}
        return data

    @model_validator(mode="after")
    def _check_id(self) -> Self:
        expected = chunk_id(self.document_id, self.index)
        if self.id != expected:
            raise ValueError(f"chunk id {self.id!r} does not match {expected!r}")
        return self
