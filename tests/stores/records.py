"""Chunk records for store tests."""

from collections.abc import Sequence

from sourcesync.stores import ChunkRecord, JSONValue, chunk_id

DIMENSION = 4
NAMESPACE = "test-namespace"


def make_record(
    document_id: str,
    index: int = 0,
    *,
    workspace_id: str = "ws-1",
    source_id: str = "src-1",
    source_type: str = "github",
    vector: Sequence[float] = (1.0, 0.0, 0.0, 0.0),
    text: str | None = None,
    metadata: dict[str, JSONValue] | None = None,
    keywords: str = "",
) -> ChunkRecord:
    return ChunkRecord(
        id=chunk_id(document_id, index),
        document_id=document_id,
        workspace_id=workspace_id,
        source_id=source_id,
        source_type=source_type,
        title=f"title of {document_id}",
        url=f"https://example.test/{document_id}",
        path=f"docs/{document_id}.md",
        text=text if text is not None else f"chunk {index} of {document_id}",
        vector=list(vector),
        metadata=metadata if metadata is not None else {"index": index},
        keywords=keywords,
    )
