"""What only the Pinecone store has: its indexes, Pinecone's limits, retries, the fake itself."""

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from sourcesync.stores import (
    DimensionMismatchError,
    IndexMismatchError,
    PineconeVectorStore,
)
from sourcesync.stores.pinecone_records import MAX_METADATA_BYTES, MAX_REQUEST_BYTES
from tests.fakes.chaos import Chaos
from tests.fakes.pinecone import FakePinecone
from tests.stores.conftest import pinecone_store
from tests.stores.records import DIMENSION, NAMESPACE, make_record

FIXTURES = Path(__file__).parents[1] / "fixtures" / "pinecone"


@pytest.fixture
async def store(fake_pinecone: FakePinecone, tmp_path: Path) -> PineconeVectorStore:
    vector_store = pinecone_store(fake_pinecone, tmp_path / "cache")
    await vector_store.ensure(NAMESPACE, DIMENSION)
    return vector_store


async def test_ensure_creates_a_serverless_index_and_a_sparse_one(
    store: PineconeVectorStore, fake_pinecone: FakePinecone
) -> None:
    dense, sparse = (
        fake_pinecone.indexes["sourcesync"],
        fake_pinecone.indexes["sourcesync-keywords"],
    )

    assert (dense.dimension, dense.metric, dense.vector_type) == (DIMENSION, "cosine", "dense")
    assert sparse.vector_type == "sparse"
    assert dense.deployment["cloud"] == "aws" and dense.deployment["region"] == "us-east-1"


async def test_an_index_of_another_dimension_fails_with_a_message(
    fake_pinecone: FakePinecone, tmp_path: Path
) -> None:
    await pinecone_store(fake_pinecone, tmp_path / "a").ensure(NAMESPACE, DIMENSION)

    with pytest.raises(DimensionMismatchError, match=r"Pinecone index 'sourcesync'.*dimension 4"):
        await pinecone_store(fake_pinecone, tmp_path / "b").ensure(NAMESPACE, 384)


async def test_an_index_of_another_metric_fails_with_a_message(
    fake_pinecone: FakePinecone, tmp_path: Path
) -> None:
    fake_pinecone.create_index(
        {
            "name": "sourcesync",
            "schema": {
                "fields": {
                    "_values": {"type": "dense_vector", "dimension": 4, "metric": "euclidean"}
                }
            },
        }
    )

    with pytest.raises(IndexMismatchError, match="SOURCESYNC_PINECONE_INDEX"):
        await pinecone_store(fake_pinecone, tmp_path).ensure(NAMESPACE, DIMENSION)


async def test_upserts_stay_within_1000_vectors_and_2_mb_per_request(
    store: PineconeVectorStore, fake_pinecone: FakePinecone
) -> None:
    small = [make_record(f"small-{n}") for n in range(2_500)]
    large = [make_record(f"large-{n}", text="x" * 30_000) for n in range(150)]

    await store.upsert(NAMESPACE, small)
    await store.upsert(NAMESPACE, large)

    assert fake_pinecone.largest_upsert == 1_000
    assert MAX_REQUEST_BYTES // 2 < fake_pinecone.largest_request_bytes <= MAX_REQUEST_BYTES
    assert len(fake_pinecone.vectors("sourcesync", NAMESPACE)) == 2_650


async def test_known_chunk_counts_delete_by_id_within_1000_ids_per_request(
    store: PineconeVectorStore, fake_pinecone: FakePinecone
) -> None:
    await store.upsert(NAMESPACE, [make_record("big", n, keywords="word") for n in range(2_500)])
    await store.upsert(NAMESPACE, [make_record("small", n) for n in range(2)])
    fake_pinecone.requests.clear()

    await store.replace_documents_chunks(
        NAMESPACE, "ws-1", {"big": [make_record("big", 0)]}, chunk_counts={"big": 2_500}
    )
    assert await store.delete_documents(NAMESPACE, "ws-1", ["small"], chunk_counts={"small": 2})
    assert fake_pinecone.vectors("sourcesync", NAMESPACE).keys() == {"4:ws-1:big#0"}
    assert "GET /hosts/*/vectors/list" not in fake_pinecone.requests  # no listing by prefix
    # 2,499 stale ids from each index in requests of at most 1,000 (the fake refuses more),
    # then the small document's two ids from each.
    assert fake_pinecone.requests["POST /hosts/*/vectors/delete"] == 2 * 3 + 2

    # Without a known count, a document's chunks are listed by their id prefix.
    assert await store.delete_documents(NAMESPACE, "ws-1", ["big"]) == 1
    assert fake_pinecone.requests["GET /hosts/*/vectors/list"] == 1


async def test_a_text_over_40_kb_is_cut_to_fit_the_metadata_limit(
    store: PineconeVectorStore, fake_pinecone: FakePinecone
) -> None:
    text = "ü" * 50_000
    await store.upsert(NAMESPACE, [make_record("big", text=text)])

    [hit] = await store.query(NAMESPACE, "ws-1", [1.0, 0.0, 0.0, 0.0])
    [stored] = fake_pinecone.vectors("sourcesync", NAMESPACE).values()
    assert text.startswith(hit.text) and len(hit.text) > 1_000
    assert len(json.dumps(stored.metadata, separators=(",", ":")).encode()) <= MAX_METADATA_BYTES


async def test_a_document_id_too_long_for_an_id_is_named_by_its_hash(
    store: PineconeVectorStore, fake_pinecone: FakePinecone
) -> None:
    long_id = "github:file:owner/repo:" + "deep/" * 120 + "file.py"
    await store.upsert(NAMESPACE, [make_record(long_id, n) for n in range(3)])

    stored = fake_pinecone.vectors("sourcesync", NAMESPACE)
    assert all(len(vector_id) <= 512 for vector_id in stored)
    await store.replace_document_chunks(NAMESPACE, "ws-1", long_id, [make_record(long_id, 0)])
    [hit] = await store.query(NAMESPACE, "ws-1", [1.0, 0.0, 0.0, 0.0], k=10)
    assert (hit.id, hit.document_id) == (f"{long_id}#0", long_id)
    assert await store.delete_documents(NAMESPACE, "ws-1", [long_id]) == 1


async def test_rate_limits_and_server_errors_are_retried(
    store: PineconeVectorStore, fake_pinecone: FakePinecone
) -> None:
    fake_pinecone.chaos = Chaos(rate=0.2, seed=3)

    for n in range(12):
        await store.upsert(NAMESPACE, [make_record(f"doc-{n}", keywords="retry")])
    hits = await store.keyword_query(NAMESPACE, "ws-1", "retry", k=20)

    assert fake_pinecone.chaos.injected
    assert len(hits) == 12


async def test_chunks_without_keywords_leave_the_keyword_index(
    store: PineconeVectorStore, fake_pinecone: FakePinecone
) -> None:
    await store.upsert(NAMESPACE, [make_record("doc", keywords="heartbeat")])

    await store.replace_document_chunks(NAMESPACE, "ws-1", "doc", [make_record("doc")])

    assert await store.keyword_query(NAMESPACE, "ws-1", "heartbeat") == []
    assert fake_pinecone.vectors("sourcesync-keywords", NAMESPACE) == {}


def _post(fake: FakePinecone, path: str, body: Any, *, key: str | None = None) -> httpx.Response:
    return httpx.post(
        f"{fake.index_host('fixture')}{path}",
        json=body,
        headers={"Api-Key": key or fake.api_key, "X-Pinecone-Api-Version": "2025-10"},
    )


def _fixture(name: str) -> dict[str, Any]:
    fixture: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return fixture


def test_the_fake_answers_the_documented_requests_in_the_documented_shapes(
    fake_pinecone: FakePinecone,
) -> None:
    fake_pinecone.create_index(
        {
            "name": "fixture",
            "schema": {
                "fields": {"_values": {"type": "dense_vector", "dimension": 8, "metric": "cosine"}}
            },
        }
    )
    upsert, query = _fixture("upsert.json"), _fixture("query.json")
    stats, delete = _fixture("describe_index_stats.json"), _fixture("delete.json")

    upserted = _post(fake_pinecone, upsert["path"], upsert["request"]).json()
    queried = _post(fake_pinecone, query["path"], query["request"] | {"filter": {}}).json()
    described = _post(fake_pinecone, stats["path"], stats["request"]).json()
    deleted = _post(fake_pinecone, delete["path"], delete["request_by_ids"]).json()
    fetched = httpx.get(
        f"{fake_pinecone.index_host('fixture')}/vectors/fetch",
        params={"ids": ["example-vector-1"], "namespace": "example-namespace"},
        headers={"Api-Key": fake_pinecone.api_key},
    ).json()

    assert upserted.keys() == upsert["response_200"].keys()
    assert upserted["upsertedCount"] == 1
    assert queried.keys() == query["response_200"].keys()
    [match] = queried["matches"]
    assert match.keys() >= {"id", "score", "metadata"}
    assert match["metadata"] == query["response_200"]["matches"][0]["metadata"]
    assert described.keys() == stats["response_200_per_schema_properties"].keys()
    assert deleted == delete["response_200"]
    assert fetched.keys() == _fixture("fetch.json")["response_200"].keys()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"vectors": [{"id": f"v{n}", "values": [1.0] * 8} for n in range(1_001)]}, "1 to 1000"),
        ({"vectors": [{"id": "v", "values": [1.0] * 7}]}, "dimension 7"),
        ({"vectors": [{"id": "v", "values": [0.0] * 8}]}, "non-zero"),
        ({"vectors": [{"id": "v" * 513, "values": [1.0] * 8}]}, "512"),
        (
            {"vectors": [{"id": "v", "values": [1.0] * 8, "metadata": {"t": "x" * 41_000}}]},
            "exceeds the limit of 40960",
        ),
        ({"vectors": [{"id": "v", "values": [1.0] * 8, "metadata": {"n": None}}]}, "null"),
        ({"vectors": [{"id": "v", "values": [1.0] * 8, "metadata": {"o": {"a": 1}}}]}, "nested"),
        (
            {"vectors": [{"id": f"v{n}", "values": [0.123456789] * 8} for n in range(100)]}
            | {"padding": "x" * MAX_REQUEST_BYTES},
            "exceeds the limit of 2097152",
        ),
    ],
)
def test_the_fake_refuses_what_pinecone_refuses(
    fake_pinecone: FakePinecone, body: dict[str, Any], message: str
) -> None:
    fake_pinecone.create_index(
        {
            "name": "fixture",
            "schema": {
                "fields": {"_values": {"type": "dense_vector", "dimension": 8, "metric": "cosine"}}
            },
        }
    )

    answer = _post(fake_pinecone, "/vectors/upsert", body)

    assert answer.status_code == 400
    assert message in answer.json()["error"]["message"]


def test_the_fake_needs_the_api_key(fake_pinecone: FakePinecone) -> None:
    answer = httpx.get(f"{fake_pinecone.control_url}/indexes", headers={"Api-Key": "wrong"})

    assert answer.status_code == 401


async def test_warming_opens_the_local_cache_and_asks_pinecone_nothing(
    fake_pinecone: FakePinecone, tmp_path: Path
) -> None:
    store = pinecone_store(fake_pinecone, tmp_path / "cache")
    await store.warm()
    assert (tmp_path / "cache").is_dir()
    assert sum(fake_pinecone.requests.values()) == 0
