"""How chunks are laid out in Pinecone: vector ids, metadata, request batches, hits.

A namespace holds one store (`{workspace}-{model}`, as in the original design), but the
store interface allows two workspaces in one namespace, so a vector id starts with its
workspace: `{len(workspace)}:{workspace}:{document_id}#{n}`. The length makes the prefix
unambiguous, and ids of one document share the prefix up to `#`: a document's chunks are
`#0` to its chunk count (which the database knows), or, where no count is known, listed by
prefix (Pinecone's list-by-prefix). A prefix that would push an id past Pinecone's 512 bytes
names the document by a hash instead.
"""

import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sourcesync.stores.base import ChunkFilter, ChunkRecord, JSONValue, SearchHit
from sourcesync.stores.errors import InvalidRecordError
from sourcesync.stores.record_checks import metadata_json

__all__ = [
    "MAX_METADATA_BYTES",
    "MAX_REQUEST_BYTES",
    "MAX_VECTORS_PER_REQUEST",
    "document_prefix",
    "hit_from_match",
    "metadata_filter",
    "request_batches",
    "vector_id",
    "vector_metadata",
]

MAX_REQUEST_BYTES = 2 * 1024 * 1024
MAX_VECTORS_PER_REQUEST = 1_000
MAX_METADATA_BYTES = 40 * 1024
_MAX_ID_BYTES = 512
_ID_SUFFIX_BYTES = 12
"""Room left for `#{n}` after a document's prefix."""
_REQUEST_OVERHEAD_BYTES = 4 * 1024
"""What a request adds to its vectors (brackets, the namespace): kept free under the limit."""
_CHUNK_INDEX = re.compile(r"#(\d+)\Z")


def document_prefix(workspace_id: str, document_id: str) -> str:
    """The prefix every vector id of the document starts with, ending in `#`."""
    prefix = f"{len(workspace_id)}:{workspace_id}:{document_id}#"
    if len(prefix.encode()) <= _MAX_ID_BYTES - _ID_SUFFIX_BYTES:
        return prefix
    digest = hashlib.sha256(f"{workspace_id}\0{document_id}".encode()).hexdigest()
    short = f"{len(workspace_id)}:{workspace_id}:~{digest}#"
    if len(short.encode()) <= _MAX_ID_BYTES - _ID_SUFFIX_BYTES:
        return short
    return f"~{hashlib.sha256(prefix.encode()).hexdigest()}#"


def vector_id(record: ChunkRecord) -> str:
    """The Pinecone id of a chunk: its document's prefix and its position."""
    found = _CHUNK_INDEX.search(record.id)
    if found is None or record.id != f"{record.document_id}#{found.group(1)}":
        raise InvalidRecordError(
            f"chunk id {record.id!r} is not '{{document_id}}#{{n}}' of document "
            f"{record.document_id!r}; build it with chunk_id()"
        )
    return document_prefix(record.workspace_id, record.document_id) + found.group(1)


def is_chunk_of(vector: str, prefix: str) -> bool:
    """Whether a listed id is a chunk of the prefix's document (not of `{document}#x#1`)."""
    return vector.startswith(prefix) and vector[len(prefix) :].isdigit()


def vector_metadata(record: ChunkRecord) -> dict[str, Any]:
    """What Pinecone keeps beside a chunk's vector: flat, no nulls, within 40 KB.

    The fields a query filters on are top-level strings; the chunk's own metadata (nested
    JSON Pinecone would refuse) travels as JSON text. A text too long for the limit is cut.
    """
    metadata: dict[str, Any] = {
        "workspace_id": record.workspace_id,
        "document_id": record.document_id,
        "chunk_id": record.id,
        "source_id": record.source_id,
        "source_type": record.source_type,
        "metadata_json": metadata_json(record),
    }
    for key in ("title", "url", "path"):
        value = getattr(record, key)
        if value is not None:
            metadata[key] = value
    without_text = len(json.dumps(metadata, separators=(",", ":")).encode())
    room = MAX_METADATA_BYTES - without_text - 64
    if room < 0:
        raise InvalidRecordError(
            f"chunk {record.id!r}: its title, url, path and metadata take {without_text} "
            f"bytes, over Pinecone's {MAX_METADATA_BYTES} bytes of metadata per vector"
        )
    metadata["text"] = _cut_to_json_bytes(record.text, room)
    return metadata


def _cut_to_json_bytes(text: str, room: int) -> str:
    """`text`, cut so that its JSON encoding takes at most `room` bytes."""
    if len(json.dumps(text).encode()) <= room:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if len(json.dumps(text[:middle]).encode()) <= room:
            low = middle
        else:
            high = middle - 1
    return text[:low]


def metadata_filter(workspace_id: str, where: ChunkFilter | None) -> dict[str, Any]:
    """Pinecone's metadata filter of a query: always the workspace, then the caller's.

    A path glob has no Pinecone operator: the caller applies it to the matches.
    """
    conditions: dict[str, Any] = {"workspace_id": {"$eq": workspace_id}}
    if where is not None and where.source_id is not None:
        conditions["source_id"] = {"$eq": where.source_id}
    if where is not None and where.source_type is not None:
        conditions["source_type"] = {"$eq": where.source_type}
    return conditions


def hit_from_match(metadata: Mapping[str, Any], score: float) -> SearchHit:
    """A search hit from a match's metadata and score."""
    chunk_metadata: dict[str, JSONValue] = json.loads(metadata["metadata_json"])
    return SearchHit(
        id=metadata["chunk_id"],
        document_id=metadata["document_id"],
        source_id=metadata["source_id"],
        source_type=metadata["source_type"],
        title=metadata.get("title"),
        url=metadata.get("url"),
        path=metadata.get("path"),
        text=metadata["text"],
        score=score,
        metadata=chunk_metadata,
    )


def request_batches(vectors: Sequence[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Split upsert payloads into requests of at most 1,000 vectors and 2 MB."""
    batch: list[dict[str, Any]] = []
    size = _REQUEST_OVERHEAD_BYTES
    for vector in vectors:
        vector_size = len(json.dumps(vector, separators=(",", ":")).encode()) + 1
        if batch and (
            len(batch) == MAX_VECTORS_PER_REQUEST or size + vector_size > MAX_REQUEST_BYTES
        ):
            yield batch
            batch, size = [], _REQUEST_OVERHEAD_BYTES
        batch.append(vector)
        size += vector_size
    if batch:
        yield batch
