"""Vector stores: where embedded chunks are kept and searched.

`VectorStore` is the interface; `open_vector_store` returns the LanceDB store of a local
directory (the default under `.sourcesync/`), and `PineconeVectorStore` keeps the chunks in
Pinecone, for app replicas on many machines.
"""

from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from sourcesync.stores.base import (
    ChunkFilter,
    ChunkRecord,
    JSONValue,
    SearchHit,
    StoreStats,
    VectorStore,
    chunk_id,
)
from sourcesync.stores.errors import (
    DimensionMismatchError,
    IndexMismatchError,
    InvalidNamespaceError,
    InvalidRecordError,
    NamespaceNotFoundError,
    UnsupportedStoreURLError,
    VectorStoreError,
)
from sourcesync.stores.lancedb_store import LanceDBVectorStore
from sourcesync.stores.pinecone_store import PineconeConfig, PineconeVectorStore

__all__ = [
    "ChunkFilter",
    "ChunkRecord",
    "DimensionMismatchError",
    "IndexMismatchError",
    "InvalidNamespaceError",
    "InvalidRecordError",
    "JSONValue",
    "LanceDBVectorStore",
    "NamespaceNotFoundError",
    "PineconeConfig",
    "PineconeVectorStore",
    "SearchHit",
    "StoreStats",
    "UnsupportedStoreURLError",
    "VectorStore",
    "VectorStoreError",
    "chunk_id",
    "open_vector_store",
]


def open_vector_store(url_or_path: str | Path) -> VectorStore:
    """Open the vector store at a directory path or `file://` URL (LanceDB).

    Raises `UnsupportedStoreURLError` for any other URL scheme.
    """
    location = str(url_or_path)
    if "://" not in location:
        return LanceDBVectorStore(Path(location).expanduser())
    url = urlsplit(location)
    if url.scheme == "file" and url.netloc in ("", "localhost"):
        return LanceDBVectorStore(Path(url2pathname(url.path)))
    raise UnsupportedStoreURLError(
        f"no vector store backend for {location!r}; "
        "give a directory path or a file:// URL for a local LanceDB store"
    )
