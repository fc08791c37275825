"""The store suite runs over every `VectorStore`: LanceDB on disk and Pinecone (the fake).

`make_store()` opens another store over the same data, as another process would.
"""

from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path

import pytest

from sourcesync.stores import LanceDBVectorStore, PineconeConfig, PineconeVectorStore, VectorStore
from tests.fakes.pinecone import FakePinecone
from tests.stores.records import DIMENSION, NAMESPACE

StoreMaker = Callable[[], VectorStore]


class StoreKind(StrEnum):
    LANCEDB = "lancedb"
    PINECONE = "pinecone"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "vectors"


@pytest.fixture
def fake_pinecone() -> Iterator[FakePinecone]:
    with FakePinecone() as fake:
        yield fake


def pinecone_store(fake: FakePinecone, cache_dir: Path, **options: int) -> PineconeVectorStore:
    config = PineconeConfig(
        api_key=fake.api_key, control_host=fake.control_url, cache_dir=cache_dir, **options
    )
    return PineconeVectorStore(config)


@pytest.fixture(params=list(StoreKind))
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreMaker]:
    if request.param == StoreKind.LANCEDB:
        yield lambda: LanceDBVectorStore(tmp_path / "vectors")
        return
    with FakePinecone() as fake:
        yield lambda: pinecone_store(fake, tmp_path / "cache")


@pytest.fixture
async def store(make_store: StoreMaker) -> VectorStore:
    vector_store = make_store()
    await vector_store.ensure(NAMESPACE, DIMENSION)
    return vector_store
