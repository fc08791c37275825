import asyncio
import math

import pytest

from sourcesync.stores import DimensionMismatchError, InvalidRecordError, VectorStore
from tests.stores.conftest import StoreMaker
from tests.stores.records import DIMENSION, NAMESPACE, make_record


async def test_ensure_is_idempotent_and_safe_concurrently(
    store: VectorStore, make_store: StoreMaker
) -> None:
    await asyncio.gather(*(store.ensure(NAMESPACE, DIMENSION) for _ in range(5)))
    await store.upsert(NAMESPACE, [make_record("doc")])

    await make_store().ensure(NAMESPACE, DIMENSION)

    assert (await store.stats(NAMESPACE, "ws-1")).chunk_count == 1


async def test_another_process_reads_and_writes_without_ensuring(
    store: VectorStore, make_store: StoreMaker
) -> None:
    await store.upsert(NAMESPACE, [make_record("doc", n) for n in range(3)])
    other = make_store()

    await other.replace_document_chunks(NAMESPACE, "ws-1", "doc", [make_record("doc", 0)])

    assert [hit.id for hit in await other.query(NAMESPACE, "ws-1", [1.0, 0.0, 0.0, 0.0])] == [
        "doc#0"
    ]
    assert (await store.stats(NAMESPACE, "ws-1")).chunk_count == 1


async def test_a_warmed_store_ensures_and_writes_as_any(make_store: StoreMaker) -> None:
    warmed = make_store()
    await warmed.warm()
    await warmed.warm()  # twice is no error

    await warmed.ensure(NAMESPACE, DIMENSION)
    await warmed.upsert(NAMESPACE, [make_record("doc")])

    assert (await warmed.stats(NAMESPACE, "ws-1")).chunk_count == 1


async def chunk_ids(store: VectorStore, workspace_id: str = "ws-1") -> list[str]:
    hits = await store.query(NAMESPACE, workspace_id, [1.0, 0.0, 0.0, 0.0], k=10_000)
    return sorted(hit.id for hit in hits)


async def test_ensure_refuses_another_dimension(store: VectorStore) -> None:
    with pytest.raises(DimensionMismatchError, match="dimension 8") as caught:
        await store.ensure(NAMESPACE, 8)
    assert (caught.value.expected, caught.value.actual) == (DIMENSION, 8)


async def test_ensure_refuses_another_dimension_of_a_table_made_elsewhere(
    store: VectorStore, make_store: StoreMaker
) -> None:
    with pytest.raises(DimensionMismatchError):
        await make_store().ensure(NAMESPACE, 8)


async def test_upsert_twice_replaces_instead_of_duplicating(store: VectorStore) -> None:
    await store.upsert(NAMESPACE, [make_record("doc", n, text="old") for n in range(3)])
    await store.upsert(NAMESPACE, [make_record("doc", n, text="new") for n in range(3)])

    hits = await store.query(NAMESPACE, "ws-1", [1.0, 0.0, 0.0, 0.0], k=100)
    assert sorted(hit.id for hit in hits) == ["doc#0", "doc#1", "doc#2"]
    assert {hit.text for hit in hits} == {"new"}


async def test_same_chunk_id_in_two_workspaces_is_two_chunks(store: VectorStore) -> None:
    await store.upsert(NAMESPACE, [make_record("doc", workspace_id="ws-1", text="one")])
    await store.upsert(NAMESPACE, [make_record("doc", workspace_id="ws-2", text="two")])

    [first] = await store.query(NAMESPACE, "ws-1", [1.0, 0.0, 0.0, 0.0])
    [second] = await store.query(NAMESPACE, "ws-2", [1.0, 0.0, 0.0, 0.0])
    assert (first.text, second.text) == ("one", "two")


async def test_upsert_rejects_duplicate_ids_in_one_batch(store: VectorStore) -> None:
    with pytest.raises(InvalidRecordError, match="appears twice"):
        await store.upsert(NAMESPACE, [make_record("doc"), make_record("doc")])


async def test_upsert_rejects_vectors_of_another_dimension(store: VectorStore) -> None:
    with pytest.raises(DimensionMismatchError, match="doc#0"):
        await store.upsert(NAMESPACE, [make_record("doc", vector=[1.0, 0.0])])


async def test_upsert_rejects_metadata_that_is_not_json(store: VectorStore) -> None:
    record = make_record("doc", metadata={"score": math.nan})
    with pytest.raises(InvalidRecordError, match="JSON"):
        await store.upsert(NAMESPACE, [record])


async def test_replace_with_fewer_chunks_leaves_no_orphans(store: VectorStore) -> None:
    await store.upsert(NAMESPACE, [make_record("doc", n) for n in range(5)])
    await store.upsert(NAMESPACE, [make_record("other", n) for n in range(2)])
    await store.upsert(NAMESPACE, [make_record("doc", n, workspace_id="ws-2") for n in range(5)])

    await store.replace_document_chunks(
        NAMESPACE, "ws-1", "doc", [make_record("doc", n, text="v2") for n in range(2)]
    )

    assert await chunk_ids(store) == ["doc#0", "doc#1", "other#0", "other#1"]
    assert len(await chunk_ids(store, "ws-2")) == 5
    hits = await store.query(NAMESPACE, "ws-1", [1.0, 0.0, 0.0, 0.0], k=10)
    assert {hit.text for hit in hits if hit.document_id == "doc"} == {"v2"}


async def test_replace_with_no_chunks_deletes_the_document(store: VectorStore) -> None:
    await store.upsert(NAMESPACE, [make_record("doc", n) for n in range(3)])
    await store.upsert(NAMESPACE, [make_record("other")])

    await store.replace_document_chunks(NAMESPACE, "ws-1", "doc", [])

    assert await chunk_ids(store) == ["other#0"]


async def test_replace_rejects_chunks_of_another_document(store: VectorStore) -> None:
    with pytest.raises(InvalidRecordError, match="other"):
        await store.replace_document_chunks(NAMESPACE, "ws-1", "doc", [make_record("other")])
    with pytest.raises(InvalidRecordError, match="ws-2"):
        await store.replace_document_chunks(
            NAMESPACE, "ws-1", "doc", [make_record("doc", workspace_id="ws-2")]
        )


async def test_delete_documents_deletes_every_chunk_of_them(store: VectorStore) -> None:
    for document_id in ("a", "b", "c"):
        await store.upsert(NAMESPACE, [make_record(document_id, n) for n in range(3)])
    await store.upsert(NAMESPACE, [make_record("a", workspace_id="ws-2")])

    deleted = await store.delete_documents(NAMESPACE, "ws-1", ["a", "c", "missing"])

    assert deleted == 6
    assert await chunk_ids(store) == ["b#0", "b#1", "b#2"]
    assert await chunk_ids(store, "ws-2") == ["a#0"]
    assert await store.delete_documents(NAMESPACE, "ws-1", []) == 0


async def test_known_chunk_counts_replace_and_delete_the_same_chunks(store: VectorStore) -> None:
    # The database knows how many chunks a document has; chunk ids are positional.
    for document_id in ("a", "b", "c"):
        await store.upsert(NAMESPACE, [make_record(document_id, n) for n in range(3)])

    await store.replace_documents_chunks(
        NAMESPACE,
        "ws-1",
        {"a": [make_record("a", 0, text="v2")], "b": [make_record("b", n) for n in range(4)]},
        chunk_counts={"a": 3, "b": 3},
    )
    assert await chunk_ids(store) == ["a#0", "b#0", "b#1", "b#2", "b#3", "c#0", "c#1", "c#2"]

    deleted = await store.delete_documents(
        NAMESPACE, "ws-1", ["a", "c"], chunk_counts={"a": 1, "c": 3}
    )
    assert deleted == 4
    assert await chunk_ids(store) == ["b#0", "b#1", "b#2", "b#3"]
    # A document without a known count is found all the same.
    assert await store.delete_documents(NAMESPACE, "ws-1", ["b"], chunk_counts={}) == 4
    assert await chunk_ids(store) == []


async def test_delete_documents_in_many_filter_batches(store: VectorStore) -> None:
    document_ids = [f"doc-{n}" for n in range(1_200)]
    await store.upsert(NAMESPACE, [make_record(document_id) for document_id in document_ids])

    assert await store.delete_documents(NAMESPACE, "ws-1", document_ids[:1_100]) == 1_100
    assert (await store.stats(NAMESPACE, "ws-1")).chunk_count == 100


async def test_ids_with_quotes_and_backslashes(store: VectorStore) -> None:
    awkward = ["it's", 'say "hi"', "back\\slash", "x' OR '1'='1", "a%b_c", "-- comment"]
    await store.upsert(NAMESPACE, [make_record(document_id) for document_id in awkward])
    await store.upsert(NAMESPACE, [make_record("x", workspace_id="o'brien")])

    await store.replace_document_chunks(NAMESPACE, "ws-1", "it's", [])
    assert await store.delete_documents(NAMESPACE, "ws-1", ["back\\slash"]) == 1
    assert await store.delete_documents(NAMESPACE, "ws-1", ["x' OR '1'='1"]) == 1

    assert await chunk_ids(store) == sorted(["-- comment#0", "a%b_c#0", 'say "hi"#0'])
    assert await chunk_ids(store, "o'brien") == ["x#0"]
    assert await chunk_ids(store, "ws-1' OR '1'='1") == []


async def test_concurrent_upserts_end_with_the_exact_count(store: VectorStore) -> None:
    async def write_batch(batch: int) -> None:
        own = [make_record(f"batch-{batch}-doc-{n}") for n in range(50)]
        # Every task also writes the same chunks: concurrent inserts of one new id must
        # still end as one row.
        shared = [make_record(f"shared-{n}") for n in range(5)]
        await store.upsert(NAMESPACE, own + shared)

    await asyncio.gather(*(write_batch(batch) for batch in range(10)))

    stats = await store.stats(NAMESPACE, "ws-1")
    assert stats.chunk_count == 10 * 50 + 5
    assert stats.document_count == 10 * 50 + 5


async def test_drop_deletes_the_table_and_tolerates_a_missing_one(
    store: VectorStore,
) -> None:
    await store.upsert(NAMESPACE, [make_record("doc")])

    await store.drop(NAMESPACE)
    await store.drop(NAMESPACE)

    await store.ensure(NAMESPACE, DIMENSION)
    assert (await store.stats(NAMESPACE, "ws-1")).chunk_count == 0
