"""What only the LanceDB store has: its tables on disk, their versions and indexes."""

from datetime import timedelta
from pathlib import Path

import lancedb
import pyarrow as pa
import pytest

from sourcesync.stores import LanceDBVectorStore, NamespaceNotFoundError, lance_connection
from sourcesync.stores.lance_connection import LanceConnection
from sourcesync.stores.lance_tables import MISSING_COLUMNS, chunk_schema, table_name
from tests.stores.records import DIMENSION, NAMESPACE, make_record


def open_raw_table(path: Path, namespace: str = NAMESPACE) -> lancedb.table.Table:
    return lancedb.connect(path).open_table(table_name(namespace))


async def test_ensure_indexes_the_columns_writes_filter_on(store_path: Path) -> None:
    store = LanceDBVectorStore(store_path)
    await store.ensure(NAMESPACE, DIMENSION)
    await LanceDBVectorStore(store_path).ensure(NAMESPACE, DIMENSION)
    indexed = {tuple(index.columns) for index in open_raw_table(store_path).list_indices()}
    assert {("document_id",), ("workspace_id",)} <= indexed


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


@pytest.mark.filterwarnings("ignore:optimize\\(cleanup_older_than=0\\)")
async def test_a_new_connection_every_n_writes_keeps_tables_usable_and_optimizing(
    store_path: Path,
) -> None:
    # A new connection every 2 writes (chunks and cache count alike) bounds LanceDB's
    # native memory; tables are opened again through it, and their optimize count goes on.
    store = LanceDBVectorStore(
        store_path,
        reopen_every_writes=2,
        optimize_every_writes=5,
        keep_versions_for=timedelta(0),
    )
    await store.ensure(NAMESPACE, DIMENSION)
    for n in range(12):
        await store.upsert(NAMESPACE, [make_record(f"doc-{n}", keywords=f"word{n}")])
        await store.cache_vectors(NAMESPACE, {f"hash-{n}": [1.0, 0.0, 0.0, float(n)]})
    await store.replace_documents_chunks(NAMESPACE, "ws-1", {"doc-0": [make_record("doc-0", 1)]})
    assert await store.delete_documents(NAMESPACE, "ws-1", ["doc-1"]) == 1

    assert store._connection.generation == 13  # 26 writes, two a connection
    assert len(open_raw_table(store_path).list_versions()) < 12  # optimized all along
    assert (await store.stats(NAMESPACE, "ws-1")).chunk_count == 11
    [hit] = await store.keyword_query(NAMESPACE, "ws-1", "word7")
    assert hit.document_id == "doc-7"
    cached = await store.cached_vectors(NAMESPACE, [f"hash-{n}" for n in range(12)])
    assert cached["hash-11"] == [1.0, 0.0, 0.0, 11.0] and len(cached) == 12


class _FakeLibc:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []
        self.trims: list[int] = []

    def mallopt(self, parameter: int, value: int) -> int:
        self.calls.append((parameter, value))
        return 1

    def malloc_trim(self, pad: int) -> int:
        self.trims.append(pad)
        return 1


def test_a_connection_is_dropped_after_n_writes_and_malloc_trimmed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    libc = _FakeLibc()
    monkeypatch.setattr(lance_connection, "_libc", lambda: libc)
    connection = LanceConnection(tmp_path, read_consistency_interval=None, reopen_every_writes=3)
    first = connection.get()
    connection.count_write()
    connection.count_write()
    assert connection.get() is first and connection.generation == 0 and libc.trims == []
    connection.count_write()
    assert connection.get() is not first and connection.generation == 1
    assert libc.trims == [0]
    with pytest.raises(ValueError, match="reopen_every_writes"):
        LanceConnection(tmp_path, read_consistency_interval=None, reopen_every_writes=0)


async def test_operations_on_a_missing_namespace_say_to_ensure_it(store_path: Path) -> None:
    store = LanceDBVectorStore(store_path)
    with pytest.raises(NamespaceNotFoundError, match=r"call ensure\(namespace, dimension\)"):
        await store.upsert("missing", [make_record("doc")])
    with pytest.raises(NamespaceNotFoundError):
        await store.query("missing", "ws-1", [1.0, 0.0, 0.0, 0.0])


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


def test_malloc_arenas_are_capped_once_unless_the_environment_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    libc = _FakeLibc()
    monkeypatch.setattr(lance_connection.ctypes, "CDLL", lambda name: libc)
    monkeypatch.setattr(lance_connection, "_arenas_limited", False)
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    lance_connection.limit_malloc_arenas()
    lance_connection.limit_malloc_arenas()
    assert libc.calls == [(-8, 2)]  # M_ARENA_MAX, as MALLOC_ARENA_MAX=2 sets it

    monkeypatch.setattr(lance_connection, "_arenas_limited", False)
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    lance_connection.limit_malloc_arenas()
    assert libc.calls == [(-8, 2)]


def test_pyarrow_allocates_with_malloc_unless_the_environment_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pools: list[pa.MemoryPool] = []
    monkeypatch.setattr(pa, "set_memory_pool", pools.append)
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    lance_connection.use_system_arrow_pool.cache_clear()
    try:
        lance_connection.use_system_arrow_pool()
        lance_connection.use_system_arrow_pool()
        assert [pool.backend_name for pool in pools] == ["system"]

        lance_connection.use_system_arrow_pool.cache_clear()
        monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
        lance_connection.use_system_arrow_pool()
        assert len(pools) == 1
    finally:
        lance_connection.use_system_arrow_pool.cache_clear()


async def test_the_store_sets_pyarrows_pool_before_it_writes(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    lance_connection.use_system_arrow_pool.cache_clear()
    store = LanceDBVectorStore(store_path)
    await store.ensure(NAMESPACE, DIMENSION)
    await store.upsert(NAMESPACE, [make_record("a")])
    assert pa.default_memory_pool().backend_name == "system"
