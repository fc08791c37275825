"""RSS of `LanceDBVectorStore` alone as chunks are written, as a documents batch writes them.

    .venv/bin/python bench/lance_memory_bench.py [--chunks 40000] [--reopen-every 50]
        [--optimize-every 100]

Writes of 50 chunks of 384 floats (an upsert, then as many embedding-cache entries), and
prints the process's RSS (anonymous and file-backed) every 2,000 chunks. `--reopen-every 0`
keeps one connection, `--optimize-every 0` never optimizes; `MALLOC_ARENA_MAX` in the
environment keeps the store from capping glibc's arenas (`sourcesync.stores.lance_connection`).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sourcesync.stores import ChunkRecord, LanceDBVectorStore, chunk_id

BATCH = 50
DIMENSION = 384
NAMESPACE = "bench-model"


def rss() -> str:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    mib = {key: int(fields[key].split()[0]) // 1024 for key in ("VmRSS", "RssAnon", "RssFile")}
    return f"RSS {mib['VmRSS']} MiB (anonymous {mib['RssAnon']}, files {mib['RssFile']})"


def batch(start: int, rng: random.Random) -> list[ChunkRecord]:
    return [
        ChunkRecord(
            id=chunk_id(f"src:pkg/module_{n}.py", 0),
            document_id=f"src:pkg/module_{n}.py",
            workspace_id="bench",
            source_id="src",
            source_type="github",
            text=f"def f_{n}(x):\n    return x * {n}\n",
            vector=[rng.random() for _ in range(DIMENSION)],
            path=f"pkg/module_{n}.py",
            keywords=f"pkg module {n} def f {n} x return x {n}",
        )
        for n in range(start, start + BATCH)
    ]


async def main(chunks: int, reopen_every: int, optimize_every: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        store = LanceDBVectorStore(
            Path(directory) / "vectors",
            reopen_every_writes=reopen_every or None,
            optimize_every_writes=optimize_every or None,
        )
        await store.ensure(NAMESPACE, DIMENSION)
        rng = random.Random(1)
        started = time.monotonic()
        for start in range(0, chunks, BATCH):
            records = batch(start, rng)
            await store.upsert(NAMESPACE, records)
            await store.cache_vectors(
                NAMESPACE, {f"text-{start + i}": r.vector for i, r in enumerate(records)}
            )
            if (start + BATCH) % 2_000 == 0:
                gc.collect()
                elapsed = time.monotonic() - started
                print(f"{start + BATCH:>7,} chunks  {rss()}  {elapsed:.0f} s", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=40_000)
    parser.add_argument("--reopen-every", type=int, default=50)
    parser.add_argument("--optimize-every", type=int, default=100)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.chunks, arguments.reopen_every, arguments.optimize_every))
