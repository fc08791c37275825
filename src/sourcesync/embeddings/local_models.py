"""The local embedder that made a store, found again from the model name it recorded."""

from sourcesync.embeddings.base import Embedder
from sourcesync.embeddings.local import DEFAULT_LOCAL_MODEL_NAME, LocalEmbedder
from sourcesync.embeddings.onnx_embedder import OnnxEmbedder
from sourcesync.embeddings.onnx_export import Precision

__all__ = ["local_embedder_for"]


def local_embedder_for(model_name: str) -> Embedder | None:
    """An embedder of the bundled model that writes `model_name` vectors, or None."""
    if model_name == DEFAULT_LOCAL_MODEL_NAME:
        return LocalEmbedder()
    for precision in Precision:
        embedder = OnnxEmbedder(precision=precision)
        if embedder.model_name == model_name:
            return embedder
    return None
