"""Fusing ranked lists of chunks into one ranking of files.

Each list (vector, keyword) is first reduced to files, in the order of each file's best
chunk; files are then fused by weighted reciprocal rank fusion (Cormack et al., 2009):
score = Σ weight / (rrf_k + rank). RRF needs no score calibration between BM25 and
cosine, and ranking files rather than chunks keeps one long file from filling the page.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from sourcesync.stores import SearchHit

__all__ = ["FileHit", "Fusion", "fuse_files"]


@dataclass(frozen=True, slots=True)
class Fusion:
    """How rankings are fused; the defaults were tuned on bench/search_eval.py's tuning half.

    A small `rrf_k` lets the top ranks of each list count for more; keywords count half as
    much as vectors (BM25 alone finds answers less often, but finds the ones vectors miss).
    """

    rrf_k: float = 10.0
    vector_weight: float = 1.0
    keyword_weight: float = 0.5
    depth: int = 30
    """Chunks asked of each ranking; more finds more files, at some cost per query."""
    chunks_per_file: int = 3


@dataclass(slots=True)
class FileHit:
    """One file (document) in the results, with its best chunks, best first."""

    document_id: str
    score: float
    chunks: list[SearchHit] = field(default_factory=list)

    @property
    def best(self) -> SearchHit:
        return self.chunks[0]


def fuse_files(
    rankings: Sequence[tuple[Sequence[SearchHit], float]], fusion: Fusion, k: int
) -> list[FileHit]:
    """The `k` best files of `(hits best first, weight)` rankings, by weighted RRF."""
    files: dict[str, FileHit] = {}
    chunk_scores: dict[str, float] = {}
    for hits, weight in rankings:
        seen: set[str] = set()
        for rank, hit in enumerate(hits, 1):
            chunk_scores[hit.id] = chunk_scores.get(hit.id, 0.0) + weight / (fusion.rrf_k + rank)
            file = files.setdefault(hit.document_id, FileHit(hit.document_id, 0.0))
            if all(chunk.id != hit.id for chunk in file.chunks):
                file.chunks.append(hit)
            if hit.document_id not in seen:
                seen.add(hit.document_id)
                file.score += weight / (fusion.rrf_k + len(seen))
    ranked = sorted(files.values(), key=lambda file: file.score, reverse=True)[:k]
    for file in ranked:
        file.chunks.sort(key=lambda chunk: chunk_scores[chunk.id], reverse=True)
        del file.chunks[fusion.chunks_per_file :]
    return ranked
