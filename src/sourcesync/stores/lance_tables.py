"""How chunks are laid out in LanceDB: table names, the Arrow schema, row conversions.

pyarrow is imported where it is used: listing jobs needs none of this.
"""

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

from sourcesync.stores.base import ChunkRecord, JSONValue, SearchHit
from sourcesync.stores.errors import InvalidNamespaceError
from sourcesync.stores.record_checks import metadata_json

VECTOR_COLUMN = "vector"
KEYWORDS_COLUMN = "keywords"
TEXT_HASH_COLUMN = "text_hash"
DISTANCE_COLUMN = "_distance"
SCORE_COLUMN = "_score"
MERGE_KEY = ("workspace_id", "id")
"""Chunks are keyed per workspace: the same document synced by two workspaces is two rows."""

HIT_COLUMNS = (
    "id",
    "document_id",
    "source_id",
    "source_type",
    "title",
    "url",
    "path",
    "text",
    "metadata",
)

_MAX_NAMESPACE_LENGTH = 200
_TABLE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_NOT_TABLE_NAME_CHARACTER = re.compile(r"[^A-Za-z0-9_.-]")


def table_name(namespace: str) -> str:
    """Map a namespace to a LanceDB table name, one-to-one.

    A namespace that is already a valid table name is used as is, so tables stay readable
    on disk. Any other namespace keeps its valid characters and gains a hash of the original,
    so `team/a` and `team_a` never share a table.
    """
    if not namespace or len(namespace) > _MAX_NAMESPACE_LENGTH:
        raise InvalidNamespaceError(
            f"a namespace must be 1 to {_MAX_NAMESPACE_LENGTH} characters long, "
            f"got {len(namespace)}"
        )
    if _TABLE_NAME.fullmatch(namespace):
        return namespace
    readable = _NOT_TABLE_NAME_CHARACTER.sub("_", namespace).lstrip(".")[:100]
    digest = hashlib.sha256(namespace.encode()).hexdigest()[:16]
    return f"{readable}-{digest}" if readable else f"ns-{digest}"


def chunk_schema(dimension: int) -> "pa.Schema":
    """The Arrow schema of a table holding vectors of `dimension`."""
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("document_id", pa.string(), nullable=False),
            pa.field("workspace_id", pa.string(), nullable=False),
            pa.field("source_id", pa.string(), nullable=False),
            pa.field("source_type", pa.string(), nullable=False),
            pa.field("title", pa.string()),
            pa.field("url", pa.string()),
            pa.field("path", pa.string()),
            pa.field("text", pa.string(), nullable=False),
            pa.field("metadata", pa.string(), nullable=False),
            pa.field(KEYWORDS_COLUMN, pa.string(), nullable=False),
            pa.field(VECTOR_COLUMN, pa.list_(pa.float32(), dimension), nullable=False),
        ]
    )


def cache_schema(dimension: int) -> "pa.Schema":
    """The Arrow schema of a namespace's embedding cache: vectors by text hash."""
    import pyarrow as pa

    return pa.schema(
        [
            pa.field(TEXT_HASH_COLUMN, pa.string(), nullable=False),
            pa.field(VECTOR_COLUMN, pa.list_(pa.float32(), dimension), nullable=False),
        ]
    )


def cache_table_name(namespace: str) -> str:
    """The embedding cache's table, beside the namespace's chunks (`.` is in no namespace table)."""
    return f"{table_name(namespace)}.text-vectors"


def vector_dimension(schema: "pa.Schema") -> int:
    """The dimension of the vector column of an existing table."""
    vector_type = schema.field(VECTOR_COLUMN).type
    return int(vector_type.list_size)


def records_to_arrow(records: Sequence[ChunkRecord], dimension: int) -> "pa.Table":
    """Convert records to an Arrow table; callers check ids and dimensions first."""
    import pyarrow as pa

    rows = [
        {
            "id": record.id,
            "document_id": record.document_id,
            "workspace_id": record.workspace_id,
            "source_id": record.source_id,
            "source_type": record.source_type,
            "title": record.title,
            "url": record.url,
            "path": record.path,
            "text": record.text,
            "metadata": metadata_json(record),
            KEYWORDS_COLUMN: record.keywords,
            VECTOR_COLUMN: record.vector,
        }
        for record in records
    ]
    return pa.Table.from_pylist(rows, schema=chunk_schema(dimension))


MISSING_COLUMNS = {KEYWORDS_COLUMN: "text"}
"""Columns that tables made before them lack, with the SQL that fills them in.

Until a document is re-synced, the keyword index of such a table reads its chunk's text.
"""


def hit_from_row(row: Mapping[str, Any]) -> SearchHit:
    """Build a search hit from a result row with `HIT_COLUMNS` and a distance or a score."""
    if SCORE_COLUMN in row:
        score = float(row[SCORE_COLUMN])
    else:
        # Cosine distance is 1 - cosine similarity; float rounding can push it a hair outside.
        score = min(1.0, max(0.0, 1.0 - float(row[DISTANCE_COLUMN])))
    metadata: dict[str, JSONValue] = json.loads(row["metadata"])
    return SearchHit(
        id=row["id"],
        document_id=row["document_id"],
        source_id=row["source_id"],
        source_type=row["source_type"],
        title=row["title"],
        url=row["url"],
        path=row["path"],
        text=row["text"],
        score=score,
        metadata=metadata,
    )


def table_indexes() -> dict[str, Any]:
    """The index every table has on each column, by column.

    Scalar indexes on what every write and most reads filter on (Bitmap suits the few
    distinct workspaces), and BM25 on the keywords, which `sourcesync.search.keywords` has
    already split and lower-cased (the index still stems them and drops stop words).
    """
    from lancedb.index import FTS, Bitmap, BTree

    return {
        "document_id": BTree(),
        "workspace_id": Bitmap(),
        KEYWORDS_COLUMN: FTS(with_position=False, base_tokenizer="whitespace"),
    }
