"""Keyword terms as sparse vectors, for a store whose keyword index is a sparse index.

Pinecone has no BM25: its sparse indexes score a query by the dot product of sparse
vectors. A chunk's vector holds BM25's term-frequency part for each of its terms (saturating
in the count, normalized by length against a fixed average); a query's holds 1 for each
term, so a chunk's score is the sum of its weights for the query's terms. Terms are treated
as LanceDB's full-text index treats them (English stop words dropped, Snowball stems), so a
word matches the same chunks in both stores. What BM25 adds on top, the rarity of a term in
the corpus (IDF), needs statistics of every chunk that a stateless writer does not have:
rankings can differ from LanceDB's where a query mixes common and rare terms.
"""

import hashlib
from collections import Counter
from dataclasses import dataclass
from functools import cache

__all__ = ["MAX_SPARSE_VALUES", "SparseVector", "document_vector", "query_vector"]

MAX_SPARSE_VALUES = 1_000
"""Pinecone's limit of non-zero values in one sparse vector: a longer chunk keeps its heaviest."""

_K1 = 1.2
_B = 0.75
_AVERAGE_TERMS = 120.0
"""A chunk's usual number of terms, for BM25's length normalization."""

_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
    ]
)
"""The English stop words of LanceDB's (tantivy's) full-text index."""


@dataclass(frozen=True, slots=True)
class SparseVector:
    indices: list[int]
    values: list[float]


@cache
def _stemmer() -> object:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def _stems(terms: str) -> list[str]:
    words = [word for word in terms.lower().split() if word not in _STOP_WORDS]
    stems: list[str] = _stemmer().stemWords(words)  # type: ignore[attr-defined]
    return stems


def _dimension(stem: str) -> int:
    """A stem's index: 32 bits of its hash (Pinecone's sparse indices are unsigned 32-bit)."""
    return int.from_bytes(hashlib.blake2b(stem.encode(), digest_size=4).digest(), "big")


def document_vector(keywords: str) -> SparseVector | None:
    """The sparse vector of a chunk's keywords; None when no term is left to index."""
    counts = Counter(_stems(keywords))
    if not counts:
        return None
    length = sum(counts.values())
    norm = _K1 * (1 - _B + _B * length / _AVERAGE_TERMS)
    weights: dict[int, float] = {}
    for stem, count in counts.items():
        index = _dimension(stem)
        weights[index] = weights.get(index, 0.0) + count * (_K1 + 1) / (count + norm)
    heaviest = sorted(weights.items(), key=lambda item: -item[1])[:MAX_SPARSE_VALUES]
    kept = sorted(heaviest)
    return SparseVector([index for index, _ in kept], [weight for _, weight in kept])


def query_vector(terms: str) -> SparseVector | None:
    """The sparse vector of a query's terms (each once); None when none is left."""
    indices = sorted({_dimension(stem) for stem in _stems(terms)})[:MAX_SPARSE_VALUES]
    if not indices:
        return None
    return SparseVector(indices, [1.0] * len(indices))
