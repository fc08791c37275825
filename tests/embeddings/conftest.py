from collections.abc import Iterator

import pytest

from sourcesync.embeddings import LocalEmbedder
from tests.fakes.openai_embeddings import FakeOpenAIEmbeddings


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAIEmbeddings]:
    with FakeOpenAIEmbeddings(dimension=8) as server:
        yield server


@pytest.fixture(scope="session")
def local_embedder() -> LocalEmbedder:
    """The bundled model on CPU; the process-wide cache loads it once for every test."""
    return LocalEmbedder(device="cpu")
