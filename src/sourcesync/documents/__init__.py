"""Documents: the model every source produces, stable ids, content hashing, file-content
detection and structure-aware chunking."""

from sourcesync.documents.chunking import (
    DEFAULT_OVERLAP_TOKENS,
    ChunkStrategy,
    TokenCounter,
    chunk_document,
    chunk_text,
    strategy_for_path,
)
from sourcesync.documents.code_refs import CODE_REF_KEY, CodeRole, code_ref
from sourcesync.documents.detection import (
    DEFAULT_MAX_BYTES,
    ContentKind,
    DetectedContent,
    detect_content,
    language_for_path,
)
from sourcesync.documents.hashing import content_hash, normalize_line_endings
from sourcesync.documents.ids import chunk_id, path_part, readable_id, scoped_document_id
from sourcesync.documents.model import Chunk, Document

__all__ = [
    "CODE_REF_KEY",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_OVERLAP_TOKENS",
    "Chunk",
    "ChunkStrategy",
    "CodeRole",
    "ContentKind",
    "DetectedContent",
    "Document",
    "TokenCounter",
    "chunk_document",
    "chunk_id",
    "chunk_text",
    "code_ref",
    "content_hash",
    "detect_content",
    "language_for_path",
    "normalize_line_endings",
    "path_part",
    "readable_id",
    "scoped_document_id",
    "strategy_for_path",
]
