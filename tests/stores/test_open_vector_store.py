from pathlib import Path

import pytest

from sourcesync.stores import LanceDBVectorStore, UnsupportedStoreURLError, open_vector_store
from tests.stores.records import DIMENSION, make_record


async def test_a_path_opens_a_lancedb_store(tmp_path: Path) -> None:
    store = open_vector_store(tmp_path / "vectors")

    assert isinstance(store, LanceDBVectorStore)
    await store.ensure("ns", DIMENSION)
    await store.upsert("ns", [make_record("doc")])
    reopened = open_vector_store(str(tmp_path / "vectors"))
    assert (await reopened.stats("ns", "ws-1")).chunk_count == 1


def test_a_file_url_opens_a_lancedb_store(tmp_path: Path) -> None:
    store = open_vector_store((tmp_path / "my vectors").as_uri())

    assert isinstance(store, LanceDBVectorStore)
    assert store.path == tmp_path / "my vectors"
    assert store.path.is_dir()


@pytest.mark.parametrize("url", ["pinecone://index", "s3://bucket/vectors", "file://host/x"])
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsupportedStoreURLError, match="file:// URL"):
        open_vector_store(url)
