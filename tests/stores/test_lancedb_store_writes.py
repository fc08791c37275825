import asyncio
import math
from datetime import timedelta
from pathlib import Path

import lancedb
import pyarrow as pa
import pytest

from sourcesync.stores import (
    DimensionMismatchError,
    InvalidRecordError,
    LanceDBVectorStore,
    NamespaceNotFoundError,
)
from sourcesync.stores.lance_tables import MISSING_COLUMNS, chunk_schema, table_name
from tests.stores.records import DIMENSION, NAMESPACE, make_record


async def chunk_ids(store: LanceDBVectorStore, workspace_id: str = "ws-1") -> list[str]:
    hits = await store.query(NAMESPACE, workspace_id, [1.0, 0.0, 0.0, 0.0], k=10_000)
    return sorted(hit.id for hit in hits)


def open_raw_table(path: Path, namespace: str = NAMESPACE) -> lancedb.table.Table:
    return lancedb.connect(path).open_table(table_name(namespace))


async def test_ensure_is_idempotent_and_safe_concurrently(store_path: Path) -> None:
    store = LanceDBVectorStore(store_path)
    await asyncio.gather(*(store.ensure(NAMESPACE, DIMENSION) for _ in range(5)))
    await store.ensure(NAMESPACE, DIMENSION)
    await store.upsert(NAMESPACE, [make_record("doc")])

    await LanceDBVectorStore(store_path).ensure(NAMESPACE, DIMENSION)

    assert (await store.stats(NAMESPACE, "ws-1")).chunk_count == 1
    indexed = {tuple(index.columns) for index in open_raw_table(store_path).list_indices()}
    assert {("document_id",), ("workspace_id",)} <= indexed


async def test_ensure_refuses_another_dimension(store: LanceDBVectorStore) -> None:
    with pytest.raises(DimensionMismatchError, match="dimension 8") as caught:
        await store.ensure(NAMESPACE, 8)
    assert (caught.value.expected, caught.value.actual) == (DIMENSION, 8)


async def test_ensure_refuses_another_dimension_of_a_table_made_elsewhere(
    store: LanceDBVectorStore, store_path: Path
) -> None:
    with pytest.raises(DimensionMismatchError):
        await LanceDBVectorStore(store_path).ensure(NAMESPACE, 8)


async def test_upsert_twice_replaces_instead_of_duplicating(store: LanceDBVectorStore) -> None:
    await store.upsert(NAMESPACE, [make_record("doc", n, text="old") for n in range(3)])
    await store.upsert(NAMESPACE, [make_record("doc", n, text="new") for n in range(3)])

    hits = await store.query(NAMESPACE, "ws-1", [1.0, 0.0, 0.0, 0.0], k=100)
    assert sorted(hit.id for hit in hits) == ["doc#0", "doc#1", "doc#2"]
    assert {hit.text for hit in hits} == {"new"}


async def test_same_chunk_id_in_two_workspaces_is_two_chunks(store: LanceDBVectorStore) -> None:
    await store.upsert(NAMESPACE, [make_record("doc", workspace_id="ws-1", text="one")])
    await store.upsert(NAMESPACE, [make_record("doc", workspace_id="ws-2", text="two")])

    [first] = await store.query(NAMESPACE, "ws-1", [1.0, 0.0, 0.0, 0.0])
    [second] = await store.query(NAMESPACE, "ws-2", [1.0, 0.0, 0.0, 0.0])
    assert (first.text, second.text) == ("one", "two")


async def test_upsert_rejects_duplicate_ids_in_one_batch(store: LanceDBVectorStore) -> None:
    with pytest.raises(InvalidRecordError, match="appears twice"):
        await store.upsert(NAMESPACE, [make_record("doc"), make_record("doc")])


async def test_upsert_rejects_vectors_of_another_dimension(store: LanceDBVectorStore) -> None:
    with pytest.raises(DimensionMismatchError, match="doc#0"):
        await store.upsert(NAMESPACE, [make_record("doc", vector=[1.0, 0.0])])


async def test_upsert_rejects_metadata_that_is_not_json(store: LanceDBVectorStore) -> None:
    record = make_record("doc", metadata={"score": math.nan})
    with pytest.raises(InvalidRecordError, match="JSON"):
        await store.upsert(NAMESPACE, [record])


async def test_replace_with_fewer_chunks_leaves_no_orphans(store: LanceDBVectorStore) -> None:
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


async def test_replace_with_no_chunks_deletes_the_document(store: LanceDBVectorStore) -> None:
    await store.upsert(NAMESPACE, [make_record("doc", n) for n in range(3)])
    await store.upsert(NAMESPACE, [make_record("other")])

    await store.replace_document_chunks(NAMESPACE, "ws-1", "doc", [])

    assert await chunk_ids(store) == ["other#0"]


async def test_replace_rejects_chunks_of_another_document(store: LanceDBVectorStore) -> None:
    with pytest.raises(InvalidRecordError, match="other"):
        await store.replace_document_chunks(NAMESPACE, "ws-1", "doc", [make_record("other")])
    with pytest.raises(InvalidRecordError, match="ws-2"):
        await store.replace_document_chunks(
            NAMESPACE, "ws-1", "doc", [make_record("doc", workspace_id="ws-2")]
        )


async def test_delete_documents_deletes_every_chunk_of_them(store: LanceDBVectorStore) -> None:
    for document_id in ("a", "b", "c"):
        await store.upsert(NAMESPACE, [make_record(document_id, n) for n in range(3)])
    await store.upsert(NAMESPACE, [make_record("a", workspace_id="ws-2")])

    deleted = await store.delete_documents(NAMESPACE, "ws-1", ["a", "c", "missing"])

    assert deleted == 6
    assert await chunk_ids(store) == ["b#0", "b#1", "b#2"]
    assert await chunk_ids(store, "ws-2") == ["a#0"]
    assert await store.delete_documents(NAMESPACE, "ws-1", []) == 0


async def test_delete_documents_in_many_filter_batches(store: LanceDBVectorStore) -> None:
    document_ids = [f"doc-{n}" for n in range(1_200)]
    await store.upsert(NAMESPACE, [make_record(document_id) for document_id in document_ids])

    assert await store.delete_documents(NAMESPACE, "ws-1", document_ids[:1_100]) == 1_100
    assert (await store.stats(NAMESPACE, "ws-1")).chunk_count == 100


async def test_ids_with_quotes_and_backslashes(store: LanceDBVectorStore) -> None:
    awkward = ["it's", 'say "hi"', "back\\slash", "x' OR '1'='1", "a%b_c", "-- comment"]
    await store.upsert(NAMESPACE, [make_record(document_id) for document_id in awkward])
    await store.upsert(NAMESPACE, [make_record("x", workspace_id="o'brien")])

    await store.replace_document_chunks(NAMESPACE, "ws-1", "it's", [])
    assert await store.delete_documents(NAMESPACE, "ws-1", ["back\\slash"]) == 1
    assert await store.delete_documents(NAMESPACE, "ws-1", ["x' OR '1'='1"]) == 1

    assert await chunk_ids(store) == sorted(["-- comment#0", "a%b_c#0", 'say "hi"#0'])
    assert await chunk_ids(store, "o'brien") == ["x#0"]
    assert await chunk_ids(store, "ws-1' OR '1'='1") == []


async def test_concurrent_upserts_end_with_the_exact_count(store_path: Path) -> None:
    store = LanceDBVectorStore(store_path, optimize_every_writes=7)
    await store.ensure(NAMESPACE, DIMENSION)

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


@pytest.mark.filterwarnings("ignore:optimize\\(cleanup_older_than=0\\)")
async def test_optimize_prunes_versions_and_keeps_data(store_path: Path) -> None:
    store = LanceDBVectorStore(
        store_path, optimize_every_writes=None, keep_versions_for=timedelta(0)
    )
    await store.ensure(NAMESPACE, DIMENSION)
    for n in range(12):
        await store.upsert(NAMESPACE, [make_record(f"doc-{n}")])
    versions_before = len(open_raw_table(store_path).list_versions())

    await store.optimize(NAMESPACE)

    assert len(open_raw_table(store_path).list_versions()) < versions_before
    assert (await store.stats(NAMESPACE, "ws-1")).chunk_count == 12


@pytest.mark.filterwarnings("ignore:optimize\\(cleanup_older_than=0\\)")
async def test_writes_trigger_optimize_every_n_writes(store_path: Path) -> None:
    store = LanceDBVectorStore(store_path, optimize_every_writes=5, keep_versions_for=timedelta(0))
    await store.ensure(NAMESPACE, DIMENSION)
    for n in range(12):
        await store.upsert(NAMESPACE, [make_record(f"doc-{n}")])

    assert len(open_raw_table(store_path).list_versions()) < 12
    assert (await store.stats(NAMESPACE, "ws-1")).chunk_count == 12


async def test_operations_on_a_missing_namespace_say_to_ensure_it(store_path: Path) -> None:
    store = LanceDBVectorStore(store_path)
    with pytest.raises(NamespaceNotFoundError, match=r"call ensure\(namespace, dimension\)"):
        await store.upsert("missing", [make_record("doc")])
    with pytest.raises(NamespaceNotFoundError):
        await store.query("missing", "ws-1", [1.0, 0.0, 0.0, 0.0])


async def test_drop_deletes_the_table_and_tolerates_a_missing_one(
    store: LanceDBVectorStore,
) -> None:
    await store.upsert(NAMESPACE, [make_record("doc")])

    await store.drop(NAMESPACE)
    await store.drop(NAMESPACE)

    with pytest.raises(NamespaceNotFoundError):
        await store.stats(NAMESPACE, "ws-1")
    await store.ensure(NAMESPACE, 8)
    assert (await store.stats(NAMESPACE, "ws-1")).chunk_count == 0


async def test_a_table_made_before_keywords_gains_them_and_stays_searchable(
    store_path: Path,
) -> None:
    old_schema = pa.schema(
        [field for field in chunk_schema(DIMENSION) if field.name not in MISSING_COLUMNS]
    )
    old = make_record("old", text="the heartbeat of the worker")
    lancedb.connect(store_path).create_table(
        NAMESPACE,
        pa.Table.from_pylist(
            [
                {n: getattr(old, n) for n in old_schema.names if n != "metadata"}
                | {"metadata": "{}"}
            ],
            schema=old_schema,
        ),
    )
    store = LanceDBVectorStore(store_path)

    await store.ensure(NAMESPACE, DIMENSION)
    await store.upsert(NAMESPACE, [make_record("new", keywords="drain queue")])

    [by_text] = await store.keyword_query(NAMESPACE, "ws-1", "heartbeat")
    [by_keywords] = await store.keyword_query(NAMESPACE, "ws-1", "drain")
    assert (by_text.document_id, by_keywords.document_id) == ("old", "new")
