"""Every way embedding can fail, each saying what went wrong and what to do."""

__all__ = [
    "EmbeddingConfigError",
    "EmbeddingError",
    "EmbeddingModelNotFound",
    "EmbeddingRequestRejected",
    "EmbeddingResponseInvalid",
    "EmbeddingServiceUnavailable",
]


class EmbeddingError(Exception):
    """Base class of the errors raised by sourcesync.embeddings."""


class EmbeddingConfigError(EmbeddingError):
    """The embedder is configured in a way that cannot work (a missing API key, say)."""


class EmbeddingModelNotFound(EmbeddingError):
    """A local model's files are not on disk. Nothing is ever downloaded to replace them."""


class EmbeddingRequestRejected(EmbeddingError):
    """The embeddings service refused the request (4xx); retrying would not help."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code


class EmbeddingServiceUnavailable(EmbeddingError):
    """The embeddings service kept failing (429, 5xx, timeouts) through every retry."""


class EmbeddingResponseInvalid(EmbeddingError):
    """The embeddings service answered with something that is not the embeddings asked for."""
