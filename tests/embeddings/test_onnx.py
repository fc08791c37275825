"""The ONNX Runtime embedder: the same model as sentence-transformers, without torch."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from sourcesync.embeddings import (
    LocalEmbedder,
    OnnxEmbedder,
    Precision,
    default_model_path,
    exported_model,
    local_embedder_for,
    onnx_export,
)
from sourcesync.stores.namespaces import namespace_for

SENTENCES = [
    "Retry the request after the server's rate limit resets.",
    "def drain(queue):\n    while queue:\n        yield queue.pop()",
    "The heartbeat tells the scheduler that a worker is still alive.",
    "x",
]


@pytest.fixture(scope="module")
def int8() -> OnnxEmbedder:
    return OnnxEmbedder()


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_model_facts_and_names(int8: OnnxEmbedder, local_embedder: LocalEmbedder) -> None:
    assert int8.dimension == local_embedder.dimension == 384
    assert int8.max_tokens == local_embedder.max_tokens
    assert int8.model_name == "sentence-transformers/all-MiniLM-L6-v2-onnx-int8-r3"
    assert OnnxEmbedder(precision=Precision.FP32).model_name.endswith("-onnx-fp32")
    assert int8.model_name != local_embedder.model_name


def test_tokens_are_counted_as_the_torch_model_counts_them(
    int8: OnnxEmbedder, local_embedder: LocalEmbedder
) -> None:
    long = " ".join(SENTENCES * 40)
    assert int8.count_tokens(long) == local_embedder.count_tokens(long) > 256
    assert int8.token_spans(SENTENCES[1]) == local_embedder.token_spans(SENTENCES[1])


async def test_vectors_match_sentence_transformers(
    int8: OnnxEmbedder, local_embedder: LocalEmbedder
) -> None:
    reference = await local_embedder.embed(SENTENCES)
    fp32 = await OnnxEmbedder(precision=Precision.FP32).embed(SENTENCES)
    quantized = await int8.embed(SENTENCES)

    for ours, theirs in zip(fp32, reference, strict=True):
        assert cosine(ours, theirs) > 0.9999
    for ours, theirs in zip(quantized, reference, strict=True):
        assert math.isclose(math.fsum(x * x for x in ours), 1.0, abs_tol=1e-5)
        assert cosine(ours, theirs) > 0.95


async def test_batching_changes_vectors_little(int8: OnnxEmbedder) -> None:
    """int8 activations are scaled per batch, so a batch's other texts move a vector a bit;
    fp32 vectors do not depend on the batch at all."""
    fp32 = OnnxEmbedder(precision=Precision.FP32)
    for embedder, floor in ((int8, 0.95), (fp32, 0.99999)):
        together = await embedder.embed(SENTENCES)
        alone = [(await embedder.embed([text]))[0] for text in SENTENCES]
        for a, b in zip(together, alone, strict=True):
            assert cosine(a, b) > floor


def test_the_export_is_cached(tmp_path: Path) -> None:
    cached = exported_model(default_model_path(), Precision.INT8)
    assert exported_model(default_model_path(), Precision.INT8) == cached
    assert cached.stat().st_size > 10_000_000


def test_the_export_is_fused_and_its_attention_quantized() -> None:
    """The optimizer fuses silently or not at all: a traced graph it no longer recognizes
    (a new transformers) would still run, only slower."""
    import onnx

    def op_types(precision: Precision) -> set[str]:
        graph = onnx.load(exported_model(default_model_path(), precision)).graph
        return {node.op_type for node in graph.node}

    fused = {"EmbedLayerNormalization", "SkipLayerNormalization", "BiasGelu"}
    assert {"Attention", *fused} <= op_types(Precision.FP32)
    assert {"QAttention", "MatMulInteger", *fused} <= op_types(Precision.INT8)


def test_embedding_imports_neither_torch_nor_sentence_transformers() -> None:
    code = (
        "import sys;from sourcesync.embeddings import OnnxEmbedder;"
        "assert len(OnnxEmbedder().embed_sync(['hello'])[0]) == 384;"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"


def test_a_new_int8_recipe_gets_a_namespace_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    before = OnnxEmbedder().model_name
    fp32 = OnnxEmbedder(precision=Precision.FP32).model_name
    monkeypatch.setattr(onnx_export, "INT8_RECIPE", onnx_export.INT8_RECIPE + 1)

    after = OnnxEmbedder().model_name

    assert namespace_for("ws", after) != namespace_for("ws", before)
    assert OnnxEmbedder(precision=Precision.FP32).model_name == fp32
    found = local_embedder_for(after)
    assert found is not None and found.model_name == after


def test_a_store_s_model_name_finds_its_embedder(int8: OnnxEmbedder) -> None:
    assert isinstance(local_embedder_for(int8.model_name), OnnxEmbedder)
    assert isinstance(local_embedder_for(LocalEmbedder().model_name), LocalEmbedder)
    assert local_embedder_for("text-embedding-3-small") is None
