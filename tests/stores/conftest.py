from pathlib import Path

import pytest

from sourcesync.stores import LanceDBVectorStore
from tests.stores.records import DIMENSION, NAMESPACE


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "vectors"


@pytest.fixture
async def store(store_path: Path) -> LanceDBVectorStore:
    vector_store = LanceDBVectorStore(store_path)
    await vector_store.ensure(NAMESPACE, DIMENSION)
    return vector_store
