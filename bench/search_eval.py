"""Search quality on real projects: recall@1/5/10 and MRR per configuration, side by side.

    .venv/bin/python bench/search_eval.py [--tune]

The corpora are the sdists named in bench/search_queries.json (fetched once with
`pip download --no-binary :all: --no-deps`, then cached), tests included; the projects
share one store, as sources of one workspace would. Each labelled question is answered
by one or a few files; a configuration finds it at rank r when one of those files is the
r-th file it returns. Every configuration is scored on all questions, then on each
project's, and summarized on all and on the held-out projects' (questions written after
the fusion was tuned, never used by `--tune`).

Configurations:
- `before`: what main did: chunk text only, sentence-transformers fp32, vector ranking of
  chunks (`search -k 10` lists 10 chunks, several of one file); the same index ranked by
  file shows what de-duplication alone changes.
- vector, keyword and hybrid rankings over chunks indexed with their contextual header,
  for sentence-transformers fp32 and for ONNX Runtime int8.

`--tune` also grid-searches the fusion parameters on the tuning half of the questions of
the projects not held out (even positions) and reports the best setting on the held-back
half (odd positions) and on the held-out projects' questions, beside the default fusion
and plain RRF.
Vectors are cached by model and corpus (`VectorCache`), so a second run embeds nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import json
import os
import pickle
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sourcesync.documents import Chunk, chunk_text, strategy_for_path
from sourcesync.embeddings import Embedder, LocalEmbedder, OnnxEmbedder
from sourcesync.search import (
    DEFAULT_FUSION,
    Fusion,
    IndexedText,
    SearchMode,
    contextual_header,
    indexed_text,
    search_files,
)
from sourcesync.search.indexing import HEADER_TOKENS
from sourcesync.stores import ChunkRecord, LanceDBVectorStore

QUERIES = Path(__file__).with_name("search_queries.json")
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sourcesync-bench"
TEXT_SUFFIXES = {".py", ".rst", ".md", ".txt", ".toml", ".cfg", ".ini"}
WORKSPACE = "eval"
CUTOFFS = (1, 5, 10)
UNTUNED = Fusion(rrf_k=60, vector_weight=1.0, keyword_weight=1.0, depth=50)
"""Reciprocal rank fusion as its paper sets it: k = 60, lists weighted equally."""


@dataclass(frozen=True)
class Query:
    project: str
    text: str
    answers: frozenset[str]


@dataclass(frozen=True)
class SourceFile:
    project: str
    path: str
    text: str

    @property
    def document_id(self) -> str:
        return f"{self.project}:{self.path}"


def fetch_sdist(requirement: str) -> Path:
    """The unpacked sdist of `requirement` (`name==version`), downloaded once."""
    name, version = requirement.split("==")
    unpacked = CACHE / "sdists" / f"{name}-{version}"
    if unpacked.is_dir():
        return unpacked
    downloads = CACHE / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    unpacked.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-binary",
            ":all:",
            "--no-deps",
            requirement,
            "-d",
            str(downloads),
        ],
        check=True,
    )
    [archive] = downloads.glob(f"{name}-{version}.tar.gz")
    with tempfile.TemporaryDirectory(dir=CACHE) as scratch, tarfile.open(archive) as tar:
        tar.extractall(scratch, filter="data")
        [root] = Path(scratch).iterdir()
        root.rename(unpacked)
    return unpacked


def corpus_files(project: str, root: Path) -> list[SourceFile]:
    files = []
    for file in sorted(root.rglob("*")):
        relative = file.relative_to(root).as_posix()
        if not file.is_file() or file.suffix not in TEXT_SUFFIXES:
            continue
        text = file.read_text(encoding="utf-8", errors="replace")
        if text.strip():
            files.append(SourceFile(project, relative, text))
    return files


class VectorCache:
    """The vectors of each index, by model and corpus, kept between runs.

    int8 activations are scaled per batch, so an int8 vector depends on the texts embedded
    with it. All texts of an index are therefore embedded in one call, in an order set by the
    texts alone, and kept under a digest of the model and those texts: a changed corpus is
    embedded again whole, and no figure depends on what an earlier run left in the cache.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def embed(self, embedder: Embedder, texts: Sequence[str]) -> list[list[float]]:
        keys = [
            hashlib.sha256(f"{embedder.model_name}\n{text}".encode()).hexdigest() for text in texts
        ]
        unique = dict(sorted(zip(keys, texts, strict=True)))
        digest = hashlib.sha256("\n".join(unique).encode()).hexdigest()
        path = self.folder / f"{digest}.pickle"
        if path.is_file():
            vectors: dict[str, list[float]] = pickle.loads(path.read_bytes())
        else:
            started = time.perf_counter()
            fresh = await embedder.embed(list(unique.values()))
            print(
                f"  embedded {len(unique)} chunks with {embedder.model_name} in "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )
            vectors = dict(zip(unique, fresh, strict=True))
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f"{digest}.{os.getpid()}.partial")
            partial.write_bytes(pickle.dumps(vectors))
            partial.replace(path)
        return [vectors[key] for key in keys]


async def build_index(
    store: LanceDBVectorStore,
    namespace: str,
    embedder: Embedder,
    files: list[SourceFile],
    cache: VectorCache,
    *,
    headers: bool,
) -> int:
    """Chunk, embed and store every file as the sync pipeline does; return the chunk count."""
    records: list[ChunkRecord] = []
    texts: list[str] = []
    pending: list[tuple[SourceFile, Chunk, IndexedText]] = []
    for file in files:
        header = contextual_header(title=file.path, path=file.path, tokenizer=embedder)
        header = header if headers else ""
        reserve = HEADER_TOKENS if headers else 0
        chunks = chunk_text(
            file.text,
            document_id=file.document_id,
            counter=embedder,
            max_tokens=embedder.max_tokens - reserve,
            strategy=strategy_for_path(file.path),
        )
        for chunk in chunks:
            indexed = indexed_text(header, chunk.heading_path, chunk.text)
            texts.append(indexed.embedded)
            pending.append((file, chunk, indexed))
    vectors = await cache.embed(embedder, texts)
    for (file, chunk, indexed), vector in zip(pending, vectors, strict=True):
        records.append(
            ChunkRecord(
                id=chunk.id,
                document_id=file.document_id,
                workspace_id=WORKSPACE,
                source_id=file.project,
                source_type="git",
                title=file.path,
                path=file.path,
                text=chunk.text,
                vector=vector,
                keywords=indexed.keywords if headers else "",
            )
        )
    await store.ensure(namespace, embedder.dimension)
    await store.upsert(namespace, records)
    await store.optimize(namespace)
    return len(records)


@dataclass
class Scores:
    ranks: list[int | None]

    def recall(self, cutoff: int) -> float:
        return sum(1 for r in self.ranks if r is not None and r <= cutoff) / len(self.ranks)

    @property
    def mrr(self) -> float:
        return sum(1 / r for r in self.ranks if r is not None) / len(self.ranks)

    def only(self, positions: Sequence[int]) -> Scores:
        return Scores([self.ranks[i] for i in positions])

    def row(self, name: str) -> str:
        cells = " | ".join(f"{self.recall(c):.2f}" for c in CUTOFFS)
        return f"| {name} | {cells} | {self.mrr:.3f} |"


@dataclass(frozen=True)
class Configuration:
    name: str
    namespace: str
    embedder: Embedder | None
    mode: SearchMode
    fusion: Fusion = DEFAULT_FUSION
    by_file: bool = True
    """False: chunks ranked as main ranked them, several per file (`k` chunks, not files)."""


async def evaluate(
    store: LanceDBVectorStore, configuration: Configuration, queries: Sequence[Query]
) -> Scores:
    ranks: list[int | None] = []
    for query in queries:
        if not configuration.by_file:
            assert configuration.embedder is not None
            [vector] = await configuration.embedder.embed([query.text])
            chunks = await store.query(configuration.namespace, WORKSPACE, vector, max(CUTOFFS))
            found = [i for i, c in enumerate(chunks, 1) if c.document_id in query.answers]
            ranks.append(found[0] if found else None)
            continue
        files = await search_files(
            store,
            configuration.embedder,
            configuration.namespace,
            WORKSPACE,
            query.text,
            k=max(CUTOFFS),
            mode=configuration.mode,
            fusion=configuration.fusion,
        )
        found = [i for i, f in enumerate(files, 1) if f.document_id in query.answers]
        ranks.append(found[0] if found else None)
    return Scores(ranks)


def print_table(title: str, rows: list[str]) -> None:
    print(f"\n{title}\n")
    print("| configuration | recall@1 | recall@5 | recall@10 | MRR |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        print(row)


async def tune(
    store: LanceDBVectorStore,
    base: Configuration,
    tuning: list[Query],
    held_back: list[Query],
    held_out: list[Query],
) -> None:
    """Grid-search the fusion on the tuning half; report the best on the other questions."""
    results = []
    for rrf_k, keyword_weight, depth in itertools.product(
        (10, 30, 60), (0.5, 0.75, 1.0, 1.5), (30, 50, 100)
    ):
        fusion = Fusion(rrf_k=rrf_k, keyword_weight=keyword_weight, depth=depth)
        scores = await evaluate(store, replace(base, fusion=fusion), tuning)
        results.append((scores.recall(5), scores.mrr, fusion))
    results.sort(key=lambda item: (item[0], item[1]), reverse=True)
    print("\nFusion grid on the tuning half (best 8 by recall@5, then MRR):\n")
    for recall5, mrr, fusion in results[:8]:
        print(
            f"  rrf_k={fusion.rrf_k:g} keyword_weight={fusion.keyword_weight:g} "
            f"depth={fusion.depth}: recall@5 {recall5:.2f}, MRR {mrr:.3f}"
        )
    best = results[0][2]
    for title, questions in (
        (f"Held-back half ({len(held_back)} questions)", held_back),
        (f"Held-out projects ({len(held_out)} questions)", held_out),
    ):
        if questions:
            rows = [
                (await evaluate(store, replace(base, fusion=fusion), questions)).row(name)
                for name, fusion in (
                    (f"tuned {best}", best),
                    (f"default {DEFAULT_FUSION}", DEFAULT_FUSION),
                    (f"untuned RRF {UNTUNED}", UNTUNED),
                )
            ]
            print_table(title, rows)


def summarize(label: str, scores: dict[str, Scores], configurations: list[Configuration]) -> None:
    """Print the recall@5 comparisons the issue sets goals for, on one set of questions."""
    before = scores[configurations[0].name]
    vector_fp32, vector_int8 = scores[configurations[2].name], scores[configurations[3].name]
    hybrid_fp32, hybrid_int8 = scores[configurations[-2].name], scores[configurations[-1].name]
    print(f"\n{label}:")
    print(
        f"  recall@5 hybrid int8 {hybrid_int8.recall(5):.2f} vs vector-only int8 "
        f"{vector_int8.recall(5):.2f} (same index)"
    )
    print(
        f"  recall@5 hybrid int8 {hybrid_int8.recall(5):.2f} vs before {before.recall(5):.2f} "
        f"(goal >= 0.9)"
    )
    for mode, a, b in (
        ("hybrid", hybrid_int8, hybrid_fp32),
        ("vector-only", vector_int8, vector_fp32),
    ):
        print(
            f"  recall@5 {mode} int8 {a.recall(5):.2f} vs fp32 {b.recall(5):.2f}: "
            f"difference {a.recall(5) - b.recall(5):+.3f} (goal within 0.02)"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tune", action="store_true", help="also grid-search the fusion")
    args = parser.parse_args()
    spec = json.loads(QUERIES.read_text())
    files = [
        file
        for project, info in spec["projects"].items()
        for file in corpus_files(project, fetch_sdist(info["sdist"]))
    ]
    queries = [
        Query(q["project"], q["query"], frozenset(f"{q['project']}:{a}" for a in q["answers"]))
        for q in spec["queries"]
    ]
    held_out_projects = {p for p, info in spec["projects"].items() if info.get("held_out")}
    known = {file.document_id for file in files}
    unknown = sorted(a for q in queries for a in q.answers if a not in known)
    if unknown:
        raise SystemExit(f"answers that are not files of the corpus: {unknown}")
    for project in spec["projects"]:
        print(
            f"{project}: {sum(f.project == project for f in files)} files, "
            f"{sum(q.project == project for q in queries)} questions"
            + (" (held out)" if project in held_out_projects else "")
        )
    print(f"{len(files)} files, {len(queries)} questions in all")

    torch_fp32, onnx_int8 = LocalEmbedder(device="cpu"), OnnxEmbedder()
    cache = VectorCache(CACHE / "vectors")
    with tempfile.TemporaryDirectory() as directory:
        store = LanceDBVectorStore(Path(directory), optimize_every_writes=None)
        for namespace, embedder, headers in (
            ("before", torch_fp32, False),
            ("fp32", torch_fp32, True),
            ("int8", onnx_int8, True),
        ):
            chunks = await build_index(store, namespace, embedder, files, cache, headers=headers)
            print(f"  index {namespace}: {chunks} chunks")
        configurations = [
            Configuration(
                "before (as main): chunk text, fp32, vector, k chunks",
                "before",
                torch_fp32,
                SearchMode.VECTOR,
                by_file=False,
            ),
            Configuration(
                "chunk text, fp32, vector, files", "before", torch_fp32, SearchMode.VECTOR
            ),
            Configuration("headers, fp32, vector", "fp32", torch_fp32, SearchMode.VECTOR),
            Configuration("headers, int8, vector", "int8", onnx_int8, SearchMode.VECTOR),
            Configuration("headers, keyword only", "int8", None, SearchMode.KEYWORD),
            Configuration("headers, fp32, hybrid", "fp32", torch_fp32, SearchMode.HYBRID),
            Configuration("headers, int8, hybrid (default)", "int8", onnx_int8, SearchMode.HYBRID),
        ]
        scores = {c.name: await evaluate(store, c, queries) for c in configurations}
        print_table(f"All {len(queries)} questions", [s.row(n) for n, s in scores.items()])
        for project in spec["projects"]:
            positions = [i for i, q in enumerate(queries) if q.project == project]
            held = " (held out)" if project in held_out_projects else ""
            print_table(
                f"{project}{held}: {len(positions)} questions",
                [s.only(positions).row(n) for n, s in scores.items()],
            )
        summarize(f"All {len(queries)} questions", scores, configurations)
        held_out = [i for i, q in enumerate(queries) if q.project in held_out_projects]
        if held_out:
            summarize(
                f"Held-out projects' {len(held_out)} questions",
                {n: s.only(held_out) for n, s in scores.items()},
                configurations,
            )
        hybrid = scores[configurations[-1].name]
        missed = [
            f"{q.project}: {q.text} ({f'rank {r}' if r else f'not in {max(CUTOFFS)}'})"
            for q, r in zip(queries, hybrid.ranks, strict=True)
            if r is None or r > 5
        ]
        print("\nhybrid int8 misses at 5:" + "".join(f"\n  - {text}" for text in missed))
        if args.tune:
            tuning = [q for q in queries if q.project not in held_out_projects]
            await tune(
                store,
                configurations[-1],
                tuning[0::2],
                tuning[1::2],
                [queries[i] for i in held_out],
            )


if __name__ == "__main__":
    asyncio.run(main())
