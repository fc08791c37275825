"""Rankings of chunks fused into files: reciprocal rank fusion, one entry per file."""

from sourcesync.search import Fusion, fuse_files
from sourcesync.stores import SearchHit


def hit(document_id: str, index: int = 0, score: float = 0.5) -> SearchHit:
    return SearchHit(
        id=f"{document_id}#{index}",
        document_id=document_id,
        source_id="src",
        source_type="git",
        text=f"chunk {index} of {document_id}",
        score=score,
    )


def test_a_file_is_listed_once_with_its_best_chunks_first() -> None:
    vector = [hit("a", 0), hit("a", 1), hit("a", 2), hit("a", 3), hit("b", 0)]
    keyword = [hit("a", 2), hit("b", 0)]

    files = fuse_files([(vector, 1.0), (keyword, 1.0)], Fusion(chunks_per_file=2), k=5)

    assert [f.document_id for f in files] == ["a", "b"]
    assert [c.id for c in files[0].chunks] == ["a#2", "a#0"]
    assert files[0].best.id == "a#2"


def test_files_found_by_both_rankings_beat_files_found_by_one() -> None:
    vector = [hit("only-vector"), hit("both")]
    keyword = [hit("only-keyword"), hit("both")]

    files = fuse_files([(vector, 1.0), (keyword, 1.0)], Fusion(), k=3)

    assert files[0].document_id == "both"


def test_weights_and_k() -> None:
    vector = [hit("v1"), hit("v2")]
    keyword = [hit("k1"), hit("k2")]

    files = fuse_files([(vector, 1.0), (keyword, 2.0)], Fusion(rrf_k=10), k=3)

    assert [f.document_id for f in files] == ["k1", "k2", "v1"]
    assert files[0].score == 2.0 / 11
