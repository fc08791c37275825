"""Embeddings: the `Embedder` protocol, the bundled local model and OpenAI-compatible
endpoints.

Importing this package is cheap: ONNX Runtime, torch and sentence-transformers load only
when a local model is first used.
"""

from sourcesync.embeddings.approximate_tokens import ApproximateTokenizer
from sourcesync.embeddings.base import Embedder, Tokenizer
from sourcesync.embeddings.errors import (
    EmbeddingConfigError,
    EmbeddingError,
    EmbeddingModelNotFound,
    EmbeddingRequestRejected,
    EmbeddingResponseInvalid,
    EmbeddingServiceUnavailable,
)
from sourcesync.embeddings.local import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_LOCAL_MODEL_NAME,
    LocalEmbedder,
    default_device,
    default_model_path,
)
from sourcesync.embeddings.local_models import local_embedder_for
from sourcesync.embeddings.onnx_embedder import OnnxEmbedder
from sourcesync.embeddings.onnx_export import Precision, default_cache_dir, exported_model
from sourcesync.embeddings.openai_compatible import OpenAICompatibleEmbedder

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_LOCAL_MODEL_NAME",
    "ApproximateTokenizer",
    "Embedder",
    "EmbeddingConfigError",
    "EmbeddingError",
    "EmbeddingModelNotFound",
    "EmbeddingRequestRejected",
    "EmbeddingResponseInvalid",
    "EmbeddingServiceUnavailable",
    "LocalEmbedder",
    "OnnxEmbedder",
    "OpenAICompatibleEmbedder",
    "Precision",
    "Tokenizer",
    "default_cache_dir",
    "default_device",
    "default_model_path",
    "exported_model",
    "local_embedder_for",
]
