"""Chunking measured by the real all-MiniLM-L6-v2 tokenizer: what production does."""

from pathlib import Path

import pytest

from sourcesync.documents import ChunkStrategy, chunk_text, strategy_for_path
from sourcesync.embeddings import LocalEmbedder

SOURCES = sorted((Path(__file__).parents[2] / "src" / "sourcesync" / "documents").glob("*.py"))


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    return LocalEmbedder(device="cpu")


def test_the_sources_to_chunk_exist() -> None:
    assert len(SOURCES) >= 5


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_code_chunks_fit_the_model_and_count_exactly(path: Path, embedder: LocalEmbedder) -> None:
    text = path.read_text()
    chunks = chunk_text(
        text,
        document_id=path.name,
        counter=embedder,
        max_tokens=embedder.max_tokens,
        strategy=strategy_for_path(path.name),
    )
    assert chunks
    for chunk in chunks:
        assert chunk.token_count <= embedder.max_tokens
        assert embedder.count_tokens(chunk.text) == chunk.token_count
    assert sum(c.token_count for c in chunks) >= embedder.count_tokens(text)


def test_markdown_with_long_prose_fits_the_model(embedder: LocalEmbedder) -> None:
    paragraph = " ".join(f"Sentence {n} explains part {n % 7} of the pipeline." for n in range(60))
    text = f"# Pipeline\n\n{paragraph}\n\n## Details\n\nShort.\n"
    chunks = chunk_text(
        text,
        document_id="doc",
        counter=embedder,
        max_tokens=embedder.max_tokens,
        overlap_tokens=32,
        strategy=ChunkStrategy.MARKDOWN,
    )
    assert len(chunks) >= 3
    assert all(c.heading_path[:1] == ("Pipeline",) for c in chunks)
    for chunk in chunks:
        assert embedder.count_tokens(chunk.text) == chunk.token_count <= 254
