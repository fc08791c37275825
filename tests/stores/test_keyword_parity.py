"""Keyword rankings agree across stores: Pinecone's sparse index ranks by BM25 as LanceDB's
full-text index does (`sourcesync.stores.pinecone_keywords`), IDF and average length
included, so hybrid search returns the same files on either."""

import random
import struct
from pathlib import Path

import pytest

from sourcesync.stores import LanceDBVectorStore, SearchHit, VectorStore, pinecone_keywords
from sourcesync.stores.sparse_keywords import document_vector, stems, term_count, term_dimension
from tests.fakes.pinecone import FakePinecone
from tests.stores.conftest import pinecone_store
from tests.stores.records import DIMENSION, NAMESPACE, make_record

VOCABULARY = (
    "ferry leaves at dawn retry retrying the schedule harbor ledger item items note notes "
    "about mostly others does because running runs ourselves quick brown fox lazy dog "
    "abc123 http server error retryafter parse parser parsing token"
)
QUERIES = [
    "ferry ledger",
    "note dawn dawn",
    "retrying the harbor schedule",
    "mostly others does",
    "fox",
    "abc123 lazy dog",
    "http server error",
    "parsing tokens",
    "unknown words only",
]


def corpus(documents: int, seed: int) -> dict[str, str]:
    rng = random.Random(seed)
    words = VOCABULARY.split()
    return {
        f"doc-{n:03}": " ".join(rng.choice(words) for _ in range(rng.randint(1, 60)))
        for n in range(documents)
    }


async def fill(store: VectorStore, texts: dict[str, str]) -> None:
    await store.ensure(NAMESPACE, DIMENSION)
    records = [
        make_record(document_id, index, keywords=text)
        for document_id, text in texts.items()
        # Two chunks for some documents: a ranking of chunks, reduced to files by callers.
        for index in range(1 + (len(text) % 2))
    ]
    for start in range(0, len(records), 40):  # many writes, as batches make them
        await store.upsert(NAMESPACE, records[start : start + 40])


def ranking(hits: list[SearchHit]) -> list[tuple[str, float]]:
    return [(hit.id, hit.score) for hit in hits]


@pytest.mark.parametrize("seed", [1, 2])
async def test_pinecone_ranks_keywords_as_lancedb_does(
    tmp_path: Path, fake_pinecone: FakePinecone, seed: int
) -> None:
    texts = corpus(200, seed)
    lance = LanceDBVectorStore(tmp_path / "vectors")
    pinecone = pinecone_store(fake_pinecone, tmp_path / "cache")
    await fill(lance, texts)
    await fill(pinecone, texts)
    for query in QUERIES:
        expected = ranking(await lance.keyword_query(NAMESPACE, "ws-1", query, 30))
        found = ranking(await pinecone.keyword_query(NAMESPACE, "ws-1", query, 30))
        assert len(found) == len(expected), query
        for (found_id, found_score), (expected_id, expected_score) in zip(
            found, expected, strict=True
        ):
            # LanceDB scores in 32-bit floats: equal scores (ties) may come in any order.
            assert found_score == pytest.approx(expected_score, rel=1e-5), query
            if found_id != expected_id:
                assert expected_score == pytest.approx(found_score, rel=1e-6), query


def test_stems_are_those_lancedb_indexes() -> None:
    # Stop words go after stemming ("mostly" is "most", "does" is "doe"), terms of 40
    # bytes or more are dropped, as LanceDB's English full-text index does.
    assert stems("The notes mostly DOES retrying " + "x" * 40 + " " + "y" * 39) == [
        "note",
        "doe",
        "retri",
        "y" * 39,
    ]


def test_term_counts_come_back_from_32_bit_weights() -> None:
    # Pinecone keeps sparse values as 32-bit floats; a count is recovered from its weight.
    for length in (1, 7, 120, 2_000):
        for count in range(1, min(length, 300) + 1, 13):
            text = " ".join(["word"] * count + ["filler"] * (length - count))
            vector = document_vector("id#0", text)
            assert vector is not None
            weight = dict(zip(vector.indices, vector.values, strict=True))[term_dimension("word")]
            stored = struct.unpack("f", struct.pack("f", weight))[0]
            assert term_count(stored, length) == count


async def test_past_one_query_of_vectors_statistics_come_from_counts_and_a_sample(
    tmp_path: Path, fake_pinecone: FakePinecone, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With queries of at most 100 matches, 300 chunks are too many to read: their number
    # comes from the namespace's statistics and their average length from one bucket (all
    # chunks have 5 terms, so any sample has the true average).
    monkeypatch.setattr(pinecone_keywords, "MAX_TOP_K", 100)
    monkeypatch.setattr(pinecone_keywords, "_SAMPLE_SIZE", 30)
    texts = {f"doc-{n:03}": f"alpha beta gamma delta tag{n % 150}" for n in range(300)}
    lance = LanceDBVectorStore(tmp_path / "vectors")
    pinecone = pinecone_store(fake_pinecone, tmp_path / "cache")
    for store in (lance, pinecone):
        await store.ensure(NAMESPACE, DIMENSION)
        await store.upsert(NAMESPACE, [make_record(d, keywords=t) for d, t in texts.items()])

    expected = ranking(await lance.keyword_query(NAMESPACE, "ws-1", "tag7 tag8", 10))
    found = ranking(await pinecone.keyword_query(NAMESPACE, "ws-1", "tag7 tag8", 10))

    assert [i for i, _ in found] == ["doc-007#0", "doc-008#0", "doc-157#0", "doc-158#0"]
    assert [s for _, s in found] == pytest.approx([s for _, s in expected], rel=1e-5)
    assert fake_pinecone.requests["POST /hosts/*/describe_index_stats"] == 1
