"""The LanceDB store's queries read with pylance: the answers of lancedb, without lancedb."""

import asyncio
import random
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import lancedb
import pytest

from sourcesync.stores import LanceDBVectorStore, NamespaceNotFoundError
from sourcesync.stores.lance_tables import table_name
from tests.stores.records import DIMENSION, NAMESPACE, make_record

WORDS = ["retry", "redirect", "header", "auth", "session", "cookie", "proxy", "stream", "hook"]


async def filled_store(path: Path) -> LanceDBVectorStore:
    store = LanceDBVectorStore(path)
    await store.ensure(NAMESPACE, DIMENSION)
    rng = random.Random(7)
    records = [
        make_record(
            f"doc-{n}",
            index,
            workspace_id=f"ws-{n % 2}",
            source_type="git" if n % 3 else "github",
            vector=[rng.uniform(-1, 1) for _ in range(DIMENSION)],
            keywords=" ".join(rng.choices(WORDS, k=rng.randint(2, 12))),
        )
        for n in range(40)
        for index in range(3)
    ]
    await store.upsert(NAMESPACE, records)
    return store


@pytest.mark.parametrize("where", ["workspace_id = 'ws-0'", "source_type = 'github'"])
async def test_queries_answer_what_lancedb_answers(store_path: Path, where: str) -> None:
    store = await filled_store(store_path)
    table = lancedb.connect(store_path).open_table(table_name(NAMESPACE))
    rng = random.Random(11)
    for _ in range(5):
        vector = [rng.uniform(-1, 1) for _ in range(DIMENSION)]
        ours = store._reader.nearest(NAMESPACE, table_name(NAMESPACE), vector, 10, where)
        theirs = (
            table.search(vector, vector_column_name="vector", query_type="vector")
            .distance_type("cosine")
            .where(where, prefilter=True)
            .limit(10)
            .to_list()
        )
        assert [(r["id"], r["_distance"]) for r in ours] == [
            (r["id"], r["_distance"]) for r in theirs
        ]
    for terms in ("retry", "redirect header", "cookie proxy stream hook", "nothing"):
        ours = store._reader.matching(NAMESPACE, table_name(NAMESPACE), terms, 10, where)
        theirs = (
            table.search(terms, query_type="fts", fts_columns="keywords")
            .where(where, prefilter=True)
            .limit(10)
            .to_list()
        )
        assert [(r["id"], r["_score"]) for r in ours] == [(r["id"], r["_score"]) for r in theirs]


async def test_reads_see_what_another_store_wrote_since(store_path: Path) -> None:
    reader = LanceDBVectorStore(store_path)
    writer = LanceDBVectorStore(store_path)
    await writer.ensure(NAMESPACE, DIMENSION)
    await writer.upsert(NAMESPACE, [make_record("first", keywords="drain")])
    assert len(await reader.keyword_query(NAMESPACE, "ws-1", "drain")) == 1

    await writer.upsert(NAMESPACE, [make_record("second", keywords="drain")])

    assert len(await reader.keyword_query(NAMESPACE, "ws-1", "drain")) == 2


async def test_without_a_consistency_interval_reads_keep_their_version(store_path: Path) -> None:
    reader = LanceDBVectorStore(store_path, read_consistency_interval=None)
    writer = LanceDBVectorStore(store_path, read_consistency_interval=timedelta(0))
    await writer.ensure(NAMESPACE, DIMENSION)
    await writer.upsert(NAMESPACE, [make_record("first")])
    assert len(await reader.query(NAMESPACE, "ws-1", [1.0, 0.0, 0.0, 0.0])) == 1

    await writer.upsert(NAMESPACE, [make_record("second")])

    assert len(await reader.query(NAMESPACE, "ws-1", [1.0, 0.0, 0.0, 0.0])) == 1


async def test_a_dropped_namespace_is_not_found_by_queries(store_path: Path) -> None:
    store = await filled_store(store_path)
    other = LanceDBVectorStore(store_path)
    assert await other.query(NAMESPACE, "ws-0", [1.0, 0.0, 0.0, 0.0])

    await store.drop(NAMESPACE)

    with pytest.raises(NamespaceNotFoundError):
        await store.keyword_query(NAMESPACE, "ws-0", "retry")
    with pytest.raises(NamespaceNotFoundError):
        await other.query(NAMESPACE, "ws-0", [1.0, 0.0, 0.0, 0.0])


async def test_a_query_does_not_import_lancedb(store_path: Path) -> None:
    await filled_store(store_path)
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from sourcesync.stores import LanceDBVectorStore
        store = LanceDBVectorStore({str(store_path)!r})
        hits = asyncio.run(store.query({NAMESPACE!r}, "ws-0", [1.0, 0.0, 0.0, 0.0], 3))
        hits += asyncio.run(store.keyword_query({NAMESPACE!r}, "ws-0", "retry", 3))
        assert len(hits) == 6, hits
        assert "lancedb" not in sys.modules
        """
    )
    await asyncio.to_thread(subprocess.run, [sys.executable, "-c", script], check=True, timeout=120)
