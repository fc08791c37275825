"""Concurrent embed calls share one encode, and one bad request fails only itself."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sourcesync.embeddings import LocalEmbedder


async def test_concurrent_calls_are_encoded_together_with_the_same_vectors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    embedder = LocalEmbedder()
    texts = [[f"request {r} sentence {i}" for i in range(r + 1)] for r in range(6)]
    alone = [embedder.embed_sync(t) for t in texts]
    loaded = embedder._loaded()
    calls: list[int] = []
    original = loaded.model.encode

    def counting(batch: list[str], **kwargs: Any) -> Any:
        calls.append(len(batch))
        return original(batch, **kwargs)

    monkeypatch.setattr(loaded.model, "encode", counting)
    with loaded.lock:  # hold the model so every request queues behind it
        pending = [asyncio.create_task(embedder.embed(t)) for t in texts]
        await asyncio.sleep(0.3)
    together = await asyncio.gather(*pending)
    assert sum(calls) == sum(len(t) for t in texts)
    assert len(calls) < len(texts), "queued requests were not encoded together"
    for mine, reference in zip(together, alone, strict=True):
        assert len(mine) == len(reference)
        for a, b in zip(mine, reference, strict=True):
            assert a == pytest.approx(b, abs=1e-4)


async def test_a_failing_request_does_not_fail_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    embedder = LocalEmbedder()
    loaded = embedder._loaded()
    original = loaded.model.encode

    def picky(batch: list[str], **kwargs: Any) -> Any:
        if any("poison" in text for text in batch):
            raise RuntimeError("bad input")
        return original(batch, **kwargs)

    monkeypatch.setattr(loaded.model, "encode", picky)
    with loaded.lock:
        good = asyncio.create_task(embedder.embed(["a fine sentence"]))
        bad = asyncio.create_task(embedder.embed(["poison pill"]))
        await asyncio.sleep(0.3)
    assert len((await good)[0]) == embedder.dimension
    with pytest.raises(RuntimeError, match="bad input"):
        await bad
