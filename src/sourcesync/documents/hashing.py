"""Content hashing: the fingerprint that decides whether a document is re-embedded."""

import hashlib

__all__ = ["content_hash", "normalize_line_endings"]


def normalize_line_endings(text: str) -> str:
    """Return `text` with CRLF and lone CR line endings turned into LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def content_hash(text: str) -> str:
    """Return the SHA-256 hex digest of `text` encoded as UTF-8, line endings normalized.

    Line endings are normalized first so that a checkout with CRLF endings and one with LF
    endings hash alike: the same words must not be embedded twice.
    """
    return hashlib.sha256(normalize_line_endings(text).encode("utf-8")).hexdigest()
