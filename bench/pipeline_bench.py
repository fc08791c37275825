"""The sync pipeline end to end on a synthetic 2,000-file repository.

    .venv/bin/python bench/pipeline_bench.py [--files 2000]

Prints files/s and chunks/s of a full sync on the embedded defaults (engine, SQLite,
LanceDB, local all-MiniLM-L6-v2 on ONNX Runtime int8), the embedder alone on the same
texts (chunks under their contextual headers; the limit on this machine) and their ratio,
the time of no-change re-syncs as a fraction of the full sync, and the default embedder's
chunks/s against sentence-transformers fp32 on 512 of the same chunks
(`bench/embedder_bench.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.embedder_bench import compare
from sourcesync import actions
from sourcesync.runtime import EmbeddedRuntime
from sourcesync.search import contextual_header, indexed_text
from sourcesync.settings import Settings
from sourcesync.workflows.services import Services
from sourcesync.workflows.store_ensure import namespace_for

WORDS = [
    "sync",
    "store",
    "vector",
    "batch",
    "event",
    "workflow",
    "engine",
    "durable",
    "retry",
    "timer",
    "queue",
    "worker",
    "document",
    "chunk",
    "embed",
    "search",
    "index",
    "cursor",
    "commit",
    "branch",
    "file",
    "folder",
    "token",
    "limit",
    "webhook",
    "signature",
    "schema",
    "query",
    "result",
    "metric",
    "job",
    "status",
    "source",
    "team",
    "issue",
    "project",
]


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 16))]
    return " ".join(words).capitalize() + "."


def file_text(rng: random.Random, index: int) -> tuple[str, str]:
    kind = index % 3
    if kind == 0:
        body = "\n\n".join(
            f"## Section {n}\n\n" + " ".join(sentence(rng) for _ in range(rng.randint(2, 6)))
            for n in range(rng.randint(1, 4))
        )
        return f"docs/topic_{index}.md", f"# Topic {index}\n\n{body}\n"
    if kind == 1:
        functions = "\n\n\n".join(
            f'def step_{n}(value):\n    """{sentence(rng)}"""\n    return value + {n}'
            for n in range(rng.randint(2, 8))
        )
        return f"src/module_{index}.py", functions + "\n"
    paragraphs = "\n\n".join(
        " ".join(sentence(rng) for _ in range(rng.randint(2, 5))) for _ in range(rng.randint(1, 4))
    )
    return f"notes/note_{index}.txt", paragraphs + "\n"


def build_repository(path: Path, files: int) -> None:
    rng = random.Random(7)
    path.mkdir(parents=True)
    for index in range(files):
        relative, text = file_text(rng, index)
        target = path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    for command in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "-c", "user.name=b", "-c", "user.email=b@e", "commit", "-q", "-m", "bench"],
    ):
        subprocess.run(command, cwd=path, check=True)


async def timed_sync(
    services: Services, runtime: EmbeddedRuntime, *, full: bool
) -> tuple[float, dict]:  # type: ignore[type-arg]
    job, event = actions.queue_sync(services, "bench", full=full, trigger="cli")
    started = time.perf_counter()
    await runtime.send(event.name, event.to_data())
    while True:
        view = actions.job_view(services, job.id)
        if view["status"] in ("completed", "completed_with_errors", "failed", "cancelled"):
            return time.perf_counter() - started, view
        await asyncio.sleep(0.05)


async def main(files: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        build_repository(root / "repo", files)
        services = Services.from_settings(Settings(home=root / "home"))
        runtime = EmbeddedRuntime(services)
        await runtime.start()
        actions.add_source(services, "git", {"path": str(root / "repo")}, name="bench")
        await services.embedder.embed(["warm up the model"])

        full_s, full = await timed_sync(services, runtime, full=True)
        assert full["status"] == "completed", full
        chunks = full["metrics"]["embeddingsCreated"]
        again_s, again = await timed_sync(services, runtime, full=False)
        assert again["metrics"]["embeddingsCreated"] == 0
        full_again_s, full_again = await timed_sync(services, runtime, full=True)
        assert full_again["metrics"]["embeddingsCreated"] == 0

        workspace = actions.workspace_id(services)
        namespace = namespace_for(workspace, services.embedder.model_name)
        probe = [1.0] + [0.0] * (services.embedder.dimension - 1)
        hits = await services.vectors.query(namespace, workspace, probe, chunks + 10)
        embedder = services.embedder
        texts = [
            indexed_text(
                contextual_header(title=hit.title, path=hit.path, tokenizer=embedder), [], hit.text
            ).embedded
            for hit in hits
        ]
        await runtime.stop()

        started = time.perf_counter()
        await services.embedder.embed(texts)
        embed_s = time.perf_counter() - started

    print(f"files: {files}, chunks: {chunks} ({len(texts)} read back from the store)")
    print(
        f"full sync:            {full_s:7.2f} s  {files / full_s:7.1f} files/s  {chunks / full_s:7.1f} chunks/s"
    )
    print(f"embedder alone:       {embed_s:7.2f} s  {len(texts) / embed_s:7.1f} chunks/s")
    print(f"end-to-end / embedder (chunks/s): {(chunks / full_s) / (len(texts) / embed_s):.2f}")
    print(
        f"no-change re-sync (incremental): {again_s:6.2f} s = {again_s / full_s:.3f} of the full sync"
    )
    print(
        f"no-change re-sync (--full):      {full_again_s:6.2f} s = {full_again_s / full_s:.3f} of the full sync"
    )
    print(
        f"the default embedder against sentence-transformers fp32, {min(512, len(texts))} chunks:"
    )
    await compare(sorted(texts, key=len, reverse=True)[:512], rounds=2)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2_000)
    asyncio.run(main(parser.parse_args().files))
