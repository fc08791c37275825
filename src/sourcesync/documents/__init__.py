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
from sourcesync.documents.detection import (
    DEFAULT_MAX_BYTES,
    ContentKind,
    DetectedContent,
    detect_content,
    language_for_path,
)
from sourcesync.documents.hashing import content_hash, normalize_line_endings
from sourcesync.documents.ids import (
    chunk_id,
    git_file_id,
    github_file_id,
    linear_comment_id,
    linear_issue_id,
    linear_project_id,
    notion_page_id,
    slack_thread_id,
    vercel_deployment_id,
)
from sourcesync.documents.model import Chunk, Document, SourceType

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_OVERLAP_TOKENS",
    "Chunk",
    "ChunkStrategy",
    "ContentKind",
    "DetectedContent",
    "Document",
    "SourceType",
    "TokenCounter",
    "chunk_document",
    "chunk_id",
    "chunk_text",
    "content_hash",
    "detect_content",
    "git_file_id",
    "github_file_id",
    "language_for_path",
    "linear_comment_id",
    "linear_issue_id",
    "linear_project_id",
    "normalize_line_endings",
    "notion_page_id",
    "slack_thread_id",
    "strategy_for_path",
    "vercel_deployment_id",
]
