"""Embedder throughput: ONNX Runtime int8 (the default) against sentence-transformers fp32.

    .venv/bin/python bench/embedder_bench.py [--chunks 512] [--rounds 3]

Chunks the real code and docs of the sdists bench/search_eval.py uses (cached there) with
the model's tokenizer, then embeds the same chunks with each embedder in alternating
rounds, one call per round as a sync batch makes it, and prints chunks/s of each (best
round) and their ratio, with the cosine of the int8 vectors to the fp32 ones.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.search_eval import corpus_files, fetch_sdist
from sourcesync.documents import chunk_text, strategy_for_path
from sourcesync.embeddings import Embedder, LocalEmbedder, OnnxEmbedder

QUERIES = Path(__file__).with_name("search_queries.json")


async def timed(embedder: Embedder, texts: Sequence[str]) -> tuple[float, list[list[float]]]:
    started = time.perf_counter()
    vectors = await embedder.embed(texts)
    return len(texts) / (time.perf_counter() - started), vectors


async def compare(texts: Sequence[str], rounds: int) -> None:
    """Print chunks/s of int8 ONNX and fp32 sentence-transformers on `texts`, and the ratio."""
    int8, fp32 = OnnxEmbedder(), LocalEmbedder(device="cpu")
    await int8.embed(["warm up"])
    await fp32.embed(["warm up"])
    rates: dict[str, list[float]] = {"int8": [], "fp32": []}
    vectors: dict[str, list[list[float]]] = {}
    for round_ in range(rounds):
        order = [("int8", int8), ("fp32", fp32)]
        for name, embedder in order if round_ % 2 == 0 else reversed(order):
            rate, vectors[name] = await timed(embedder, texts)
            rates[name].append(rate)
    cosines = [
        sum(a * b for a, b in zip(x, y, strict=True))
        for x, y in zip(vectors["int8"], vectors["fp32"], strict=True)
    ]
    for name, per_round in rates.items():
        rounds_text = ", ".join(f"{rate:.1f}" for rate in per_round)
        print(f"{name:5} chunks/s per round: {rounds_text} (best {max(per_round):.1f})")
    per_round = ", ".join(f"{a / b:.2f}" for a, b in zip(rates["int8"], rates["fp32"], strict=True))
    print(f"int8 / fp32 per round: {per_round}")
    print(
        f"embedder chunks/s ONNX int8 / sentence-transformers fp32 (best rounds): "
        f"{max(rates['int8']) / max(rates['fp32']):.2f} (goal >= 1.7)"
    )
    print(f"cosine int8 to fp32: mean {sum(cosines) / len(cosines):.4f}, min {min(cosines):.4f}")


def real_chunks(count: int) -> list[str]:
    embedder = OnnxEmbedder()
    projects = json.loads(QUERIES.read_text())["projects"]
    texts: list[str] = []
    for project, info in projects.items():
        for file in corpus_files(project, fetch_sdist(info["sdist"])):
            if file.path.endswith((".py", ".rst", ".md")):
                chunks = chunk_text(
                    file.text,
                    document_id=file.document_id,
                    counter=embedder,
                    max_tokens=embedder.max_tokens,
                    strategy=strategy_for_path(file.path),
                )
                texts.extend(chunk.text for chunk in chunks)
    # Whole chunks (200+ tokens), as a sync of real code mostly makes.
    long = [text for text in texts if embedder.count_tokens(text) >= 200]
    return long[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts = real_chunks(args.chunks)
    print(f"{len(texts)} real chunks of 200-254 tokens")
    asyncio.run(compare(texts, args.rounds))


if __name__ == "__main__":
    main()
