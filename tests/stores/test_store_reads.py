import math

import pytest

from sourcesync.stores import (
    ChunkFilter,
    ChunkRecord,
    DimensionMismatchError,
    JSONValue,
    StoreStats,
    VectorStore,
)
from tests.stores.records import NAMESPACE, make_record

QUERY = [1.0, 0.0, 0.0, 0.0]


def unit_vector_at(degrees: float) -> list[float]:
    """A unit vector at `degrees` from QUERY: its cosine similarity to QUERY is cos(degrees)."""
    radians = math.radians(degrees)
    return [math.cos(radians), math.sin(radians), 0.0, 0.0]


async def test_query_returns_nearest_first_with_cosine_scores(
    store: VectorStore,
) -> None:
    angles = {"far": 80.0, "exact": 0.0, "near": 30.0, "opposite": 180.0, "mid": 60.0}
    await store.upsert(
        NAMESPACE,
        [make_record(name, vector=unit_vector_at(angle)) for name, angle in angles.items()],
    )

    hits = await store.query(NAMESPACE, "ws-1", QUERY, k=4)

    assert [hit.document_id for hit in hits] == ["exact", "near", "mid", "far"]
    for hit in hits:
        assert hit.score == pytest.approx(math.cos(math.radians(angles[hit.document_id])), abs=1e-5)
    [opposite] = [
        hit for hit in await store.query(NAMESPACE, "ws-1", QUERY, k=5) if hit.score < 0.1
    ]
    assert opposite.document_id == "opposite"
    assert opposite.score == 0.0


async def test_query_scores_do_not_depend_on_vector_length(store: VectorStore) -> None:
    await store.upsert(NAMESPACE, [make_record("doc", vector=[5.0, 5.0, 0.0, 0.0])])

    [hit] = await store.query(NAMESPACE, "ws-1", [0.1, 0.0, 0.0, 0.0])

    assert hit.score == pytest.approx(math.sqrt(0.5), abs=1e-5)


async def test_query_returns_every_field_of_the_chunk(store: VectorStore) -> None:
    metadata: dict[str, JSONValue] = {
        "labels": ["bug", "ünïcode"],
        "nested": {"n": 1, "ok": True, "none": None},
    }
    await store.upsert(NAMESPACE, [make_record("doc", 3, text="hello", metadata=metadata)])

    [hit] = await store.query(NAMESPACE, "ws-1", QUERY)

    assert (hit.id, hit.document_id, hit.text) == ("doc#3", "doc", "hello")
    assert (hit.source_id, hit.source_type) == ("src-1", "github")
    assert (hit.title, hit.url, hit.path) == (
        "title of doc",
        "https://example.test/doc",
        "docs/doc.md",
    )
    assert hit.metadata == metadata


async def test_query_never_returns_chunks_of_another_workspace(
    store: VectorStore,
) -> None:
    await store.upsert(NAMESPACE, [make_record("theirs", workspace_id="ws-2", vector=QUERY)])
    await store.upsert(NAMESPACE, [make_record("mine", vector=unit_vector_at(70.0))])

    hits = await store.query(NAMESPACE, "ws-1", QUERY, k=100)

    assert [hit.document_id for hit in hits] == ["mine"]
    assert await store.query(NAMESPACE, "ws-3", QUERY, k=100) == []


async def test_query_filters_by_source_id_and_source_type(store: VectorStore) -> None:
    await store.upsert(
        NAMESPACE,
        [
            make_record("gh", source_id="src-1", source_type="github"),
            make_record("lin", source_id="src-2", source_type="linear"),
            make_record("lin-2", source_id="src-3", source_type="linear"),
            make_record("quoted", source_id="it's", source_type="git"),
        ],
    )

    async def documents(**filters: str) -> list[str]:
        hits = await store.query(NAMESPACE, "ws-1", QUERY, k=100, where=ChunkFilter(**filters))
        return sorted(hit.document_id for hit in hits)

    assert await documents(source_id="src-2") == ["lin"]
    assert await documents(source_type="linear") == ["lin", "lin-2"]
    assert await documents(source_type="linear", source_id="src-3") == ["lin-2"]
    assert await documents(source_type="github", source_id="src-3") == []
    assert await documents(source_id="it's") == ["quoted"]


async def test_query_filters_by_path_glob(store: VectorStore) -> None:
    paths = ["src/app/retry.py", "src/app/sub/deep.py", "docs/guide.md", "README.md", "it's.py"]
    await store.upsert(
        NAMESPACE,
        [ChunkRecord(**{**_fields(make_record(f"d{i}")), "path": p}) for i, p in enumerate(paths)],
    )

    async def paths_matching(glob: str) -> list[str]:
        hits = await store.query(NAMESPACE, "ws-1", QUERY, k=100, where=ChunkFilter(path_glob=glob))
        return sorted(hit.path or "" for hit in hits)

    assert await paths_matching("*.py") == ["it's.py", "src/app/retry.py", "src/app/sub/deep.py"]
    assert await paths_matching("src/*/*.py") == ["src/app/retry.py"]
    assert await paths_matching("src/**/*.py") == ["src/app/retry.py", "src/app/sub/deep.py"]
    assert await paths_matching("*.md") == ["README.md", "docs/guide.md"]
    assert await paths_matching("docs/**") == ["docs/guide.md"]
    assert await paths_matching("READ?E.md") == ["README.md"]


async def test_keyword_query_ranks_by_bm25_and_filters(store: VectorStore) -> None:
    await store.upsert(
        NAMESPACE,
        [
            make_record("retry", keywords="retry after retryafter error backoff"),
            make_record("other", keywords="heartbeat drain queue", source_type="linear"),
            make_record("both", keywords="retry heartbeat"),
        ],
    )

    hits = await store.keyword_query(NAMESPACE, "ws-1", "retrying with backoff", k=5)
    assert [hit.document_id for hit in hits] == ["retry", "both"]
    assert hits[0].score > hits[1].score > 0
    filtered = await store.keyword_query(
        NAMESPACE, "ws-1", "heartbeat", k=5, where=ChunkFilter(source_type="linear")
    )
    assert [hit.document_id for hit in filtered] == ["other"]
    assert await store.keyword_query(NAMESPACE, "ws-2", "heartbeat", k=5) == []
    assert await store.keyword_query(NAMESPACE, "ws-1", "  ", k=5) == []


async def test_the_embedding_cache_keeps_vectors_by_text_hash(store: VectorStore) -> None:
    await store.cache_vectors(NAMESPACE, {"h1": [0.0, 1.0, 0.0, 0.0], "h2": [1.0, 0.0, 0.0, 0.0]})
    # Two batches that embedded the same text at once both put it: one vector comes back.
    await store.cache_vectors(NAMESPACE, {"h1": [0.0, 1.0, 0.0, 0.0]})

    assert await store.cached_vectors(NAMESPACE, ["h1", "h3"]) == {
        "h1": pytest.approx([0.0, 1.0, 0.0, 0.0])
    }
    assert await store.cached_vectors(NAMESPACE, []) == {}
    assert await store.cached_vectors("another-namespace", ["h1"]) == {}


async def test_the_embedding_cache_outlives_the_chunks_and_goes_with_the_namespace(
    store: VectorStore,
) -> None:
    await store.upsert(NAMESPACE, [make_record("a")])
    await store.cache_vectors(NAMESPACE, {"h1": [0.0, 1.0, 0.0, 0.0]})

    await store.delete_documents(NAMESPACE, "ws-1", ["a"])
    assert set(await store.cached_vectors(NAMESPACE, ["h1"])) == {"h1"}
    await store.drop(NAMESPACE)
    await store.ensure(NAMESPACE, 4)
    assert await store.cached_vectors(NAMESPACE, ["h1"]) == {}


def _fields(record: ChunkRecord) -> dict[str, object]:
    return {name: getattr(record, name) for name in ChunkRecord.__slots__}


async def test_query_checks_k_and_the_vector_dimension(store: VectorStore) -> None:
    with pytest.raises(ValueError, match="k must be"):
        await store.query(NAMESPACE, "ws-1", QUERY, k=0)
    with pytest.raises(DimensionMismatchError, match="query vector"):
        await store.query(NAMESPACE, "ws-1", [1.0, 0.0])


async def test_stats_count_chunks_and_documents_per_source(store: VectorStore) -> None:
    await store.upsert(NAMESPACE, [make_record(f"gh-{d}", n) for d in range(12) for n in range(2)])
    await store.upsert(
        NAMESPACE,
        [make_record("lin", n, source_id="src-2", source_type="linear") for n in range(3)],
    )
    await store.upsert(NAMESPACE, [make_record("elsewhere", workspace_id="ws-2")])

    stats = await store.stats(NAMESPACE, "ws-1")

    assert stats == StoreStats(
        chunk_count=27,
        document_count=13,
        chunks_by_source={"src-1": 24, "src-2": 3},
        documents_by_source={"src-1": 12, "src-2": 1},
    )
    assert await store.stats(NAMESPACE, "ws-3") == StoreStats(chunk_count=0, document_count=0)
