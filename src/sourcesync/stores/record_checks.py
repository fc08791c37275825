"""Checks every store makes of the chunk records it is given, before writing any."""

import json
from collections.abc import Mapping, Sequence

from sourcesync.stores.base import ChunkRecord
from sourcesync.stores.errors import DimensionMismatchError, InvalidRecordError

__all__ = ["check_documents", "check_records", "metadata_json"]


def metadata_json(record: ChunkRecord) -> str:
    """The record's metadata as JSON text; refused when it is not JSON (NaN, objects)."""
    try:
        return json.dumps(record.metadata, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidRecordError(
            f"metadata of chunk {record.id!r} is not JSON-serializable: {error}"
        ) from error


def check_records(namespace: str, records: Sequence[ChunkRecord], dimension: int) -> None:
    """Refuse vectors of another dimension, and a chunk twice in one write."""
    keys: set[tuple[str, str]] = set()
    for record in records:
        if len(record.vector) != dimension:
            raise DimensionMismatchError(
                namespace, dimension, len(record.vector), what=f"the vector of chunk {record.id!r}"
            )
        key = (record.workspace_id, record.id)
        if key in keys:
            raise InvalidRecordError(
                f"chunk {record.id!r} of workspace {record.workspace_id!r} appears twice in one "
                "write; send each chunk once"
            )
        keys.add(key)


def check_documents(
    workspace_id: str, chunks_by_document: Mapping[str, Sequence[ChunkRecord]]
) -> None:
    """Refuse a record under a document (or workspace) it does not belong to."""
    for document_id, chunk_list in chunks_by_document.items():
        for record in chunk_list:
            if (record.workspace_id, record.document_id) != (workspace_id, document_id):
                raise InvalidRecordError(
                    f"chunk {record.id!r} belongs to document {record.document_id!r} of "
                    f"workspace {record.workspace_id!r}, not to document {document_id!r} "
                    f"of workspace {workspace_id!r}"
                )
