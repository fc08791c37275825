"""search_files and search_workspace on a real LanceDB store, with a toy embedder."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from pathlib import Path

import pytest

from sourcesync.embeddings import ApproximateTokenizer
from sourcesync.search import SearchMode, indexed_text, search_files
from sourcesync.search.workspace_search import StoreRef, search_workspace
from sourcesync.stores import ChunkFilter, ChunkRecord, LanceDBVectorStore
from sourcesync.stores.namespaces import namespace_for

DIMENSION = 32
WORKSPACE = "ws"


class BagOfWords(ApproximateTokenizer):
    """Vectors from hashed words: texts that share words are near. Deterministic and fast."""

    def __init__(self, model_name: str = "toy") -> None:
        self.model_name = model_name
        self.dimension = DIMENSION
        self.max_tokens = 256
        self.calls = 0

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        return [self._vector(text) for text in texts]

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * DIMENSION
        for word in text.lower().split():
            vector[hashlib.sha256(word.encode()).digest()[0] % DIMENSION] += 1.0
        norm = math.sqrt(sum(x * x for x in vector)) or 1.0
        return [x / norm for x in vector]


FILES = {
    "src/retry_policy.py": ["class RetryAfterError(Exception): ...", "def backoff(attempt): ..."],
    "src/worker_pool.py": ["def drain(queue): stop taking work and finish what is running"],
    "docs/heartbeat.md": ["Workers send a heartbeat every few seconds so the scheduler knows"],
    "docs/guide.md": ["a long guide", "about many things", "and nothing else", "at all"],
}


async def fill(store: LanceDBVectorStore, namespace: str, embedder: BagOfWords) -> None:
    await store.ensure(namespace, DIMENSION)
    records = []
    for path, chunks in FILES.items():
        for index, text in enumerate(chunks):
            indexed = indexed_text(path, [], text)
            [vector] = await embedder.embed([indexed.embedded])
            records.append(
                ChunkRecord(
                    id=f"{path}#{index}",
                    document_id=path,
                    workspace_id=WORKSPACE,
                    source_id="docs" if path.startswith("docs/") else "code",
                    source_type="git",
                    text=text,
                    path=path,
                    title=path,
                    vector=vector,
                    keywords=indexed.keywords,
                )
            )
    await store.upsert(namespace, records)


@pytest.fixture
async def store(tmp_path: Path) -> LanceDBVectorStore:
    store = LanceDBVectorStore(tmp_path / "vectors")
    await fill(store, namespace_for(WORKSPACE, "toy"), BagOfWords())
    return store


async def test_identifiers_in_plain_words_are_found_by_keywords(store: LanceDBVectorStore) -> None:
    namespace = namespace_for(WORKSPACE, "toy")
    for mode in (SearchMode.KEYWORD, SearchMode.HYBRID):
        files = await search_files(
            store, BagOfWords(), namespace, WORKSPACE, "retry after error", k=2, mode=mode
        )
        assert files[0].document_id == "src/retry_policy.py", mode


async def test_results_are_files_and_filters_apply(store: LanceDBVectorStore) -> None:
    namespace = namespace_for(WORKSPACE, "toy")
    embedder = BagOfWords()

    files = await search_files(store, embedder, namespace, WORKSPACE, "guide things", k=10)
    assert len({file.document_id for file in files}) == len(files)
    guide = next(file for file in files if file.document_id == "docs/guide.md")
    assert 1 <= len(guide.chunks) <= 3

    only_docs = await search_files(
        store,
        embedder,
        namespace,
        WORKSPACE,
        "drain heartbeat",
        k=10,
        where=ChunkFilter(path_glob="docs/**"),
    )
    assert {file.document_id for file in only_docs} <= {"docs/heartbeat.md", "docs/guide.md"}
    code = await search_files(
        store, embedder, namespace, WORKSPACE, "drain", k=10, where=ChunkFilter(source_id="code")
    )
    assert code[0].document_id == "src/worker_pool.py"


async def test_keyword_mode_embeds_nothing(store: LanceDBVectorStore) -> None:
    embedder = BagOfWords()
    namespace = namespace_for(WORKSPACE, "toy")
    await search_files(store, embedder, namespace, WORKSPACE, "drain", mode=SearchMode.KEYWORD)
    assert embedder.calls == 0


async def test_a_new_model_s_empty_store_falls_back_to_the_previous_one(
    store: LanceDBVectorStore,
) -> None:
    stores = [StoreRef(namespace_for(WORKSPACE, "toy"), "toy")]
    new_model = BagOfWords("new-model")

    results = await search_workspace(store, new_model, WORKSPACE, "heartbeat", stores=stores, k=3)

    assert results.files[0].document_id == "docs/heartbeat.md"
    assert results.note is not None and "toy" in results.note and "keywords only" in results.note
    await fill(store, namespace_for(WORKSPACE, "new-model"), new_model)
    current = await search_workspace(store, new_model, WORKSPACE, "heartbeat", stores=stores)
    assert current.note is None and current.files
