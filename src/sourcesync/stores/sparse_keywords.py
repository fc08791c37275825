"""Keyword terms as sparse vectors, scored as LanceDB's full-text index scores them (BM25).

Pinecone has no BM25: a sparse index scores a query by the dot product of sparse vectors.
As Pinecone's own BM25 encoder does, a chunk's vector holds BM25's term-frequency part for
each of its terms (saturating in the count, normalized by length against a fixed average
length) and a query's holds each term's IDF. That dot product only selects candidates: the
store then scores them exactly as LanceDB does (`bm25`), with the corpus' real average
length and document frequencies, asked of the index at query time (`pinecone_keywords.py`),
so nothing is kept in a process and any replica ranks as LanceDB would.

Exact scoring needs each candidate's term counts and length. A count is recovered from its
weight (`term_count`, the inverse of the saturation, given the length), and the length is
stored in the vector itself, under reserved indices no query term uses: one that every
vector has (the sum of lengths over the whole index, when it has few vectors) and one per
sample level, where a vector falls in one of `level` buckets by a hash of its id (the mean
length of one bucket estimates the average when there are too many vectors to read).

Terms are analysed as LanceDB's index analyses them (`stems`): lower-cased, split at
whitespace, terms of 40 bytes or more dropped, Snowball-stemmed, then stems in its English
stop-word list dropped. Keywords are ASCII already (`sourcesync.search.keywords`), so the
index's ASCII folding changes nothing.
"""

import hashlib
import math
from collections import Counter
from dataclasses import dataclass
from functools import cache

__all__ = [
    "LENGTH_LEVELS",
    "MAX_SPARSE_VALUES",
    "SparseVector",
    "bm25",
    "document_vector",
    "idf",
    "length_dimension",
    "stems",
    "term_count",
    "term_dimension",
]

MAX_SPARSE_VALUES = 1_000
"""Pinecone's limit of non-zero values in one sparse vector: a longer chunk keeps its heaviest."""

LENGTH_LEVELS = (1, 16, 256, 4096)
"""Sample levels of a vector's length: at level n it falls in one of n buckets."""

_K1 = 1.2
_B = 0.75
_ASSUMED_AVERAGE_LENGTH = 120.0
"""The average length the stored weights assume; exact scoring uses the real one."""
_MAX_TERM_BYTES = 40
"""LanceDB's index drops terms of this many bytes or more (its `max_token_length`)."""

_STOP_STEMS = frozenset(
    """a about after again against ain all am an and are aren as at be been being below
    between both but by can couldn d did didn do doesn doing don down each few for from
    further had hadn has hasn have haven having he her here hers herself him himself his
    how i if in into is isn it its itself just ll m ma me mightn more most mustn my
    myself needn no nor not now o of off on or other our ours out over own re s same
    shan she should shouldn so some such t than that the their theirs them then there
    these they this those through to too under until up ve was wasn we were weren what
    when where which while who whom will with won wouldn y you your yours yourself""".split()  # noqa: SIM905 (one word a line is 140 lines)
)
"""Stems LanceDB's English index drops (found by indexing each word of NLTK's English list:
the index drops words after stemming them, so only words that are their own stem count)."""


@dataclass(frozen=True, slots=True)
class SparseVector:
    indices: list[int]
    values: list[float]


@cache
def _stemmer() -> object:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def stems(terms: str) -> list[str]:
    """The stems LanceDB's full-text index keeps of `terms`, in order, repeats included."""
    words = [word for word in terms.lower().split() if len(word.encode()) < _MAX_TERM_BYTES]
    stemmed: list[str] = _stemmer().stemWords(words)  # type: ignore[attr-defined]
    return [stem for stem in stemmed if stem not in _STOP_STEMS]


def _hash32(text: str) -> int:
    """32 bits of a hash: Pinecone's sparse indices are unsigned 32-bit integers."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big")


def term_dimension(stem: str) -> int:
    """A stem's index."""
    return _hash32(stem)


def length_dimension(level: int, bucket: int) -> int:
    """The reserved index holding lengths of bucket `bucket` of `level` (no stem has a NUL)."""
    return _hash32(f"\0length/{level}/{bucket}")


def _weight(count: int, length: int) -> float:
    return count * (_K1 + 1) / (count + _K1 * (1 - _B + _B * length / _ASSUMED_AVERAGE_LENGTH))


def term_count(weight: float, length: int) -> int:
    """The count of a term whose stored weight is `weight` in a vector of `length` terms."""
    norm = _K1 * (1 - _B + _B * length / _ASSUMED_AVERAGE_LENGTH)
    return max(1, round(weight * norm / (_K1 + 1 - weight)))


def document_vector(vector_id: str, keywords: str) -> SparseVector | None:
    """The sparse vector of a chunk's keywords; None when no term is left to index."""
    counts = Counter(stems(keywords))
    if not counts:
        return None
    length = sum(counts.values())
    by_index: Counter[int] = Counter()
    for stem, count in counts.items():
        by_index[term_dimension(stem)] += count  # two stems of one hash (rare) are one term
    weights = {index: _weight(count, length) for index, count in by_index.items()}
    heaviest = sorted(weights.items(), key=lambda item: -item[1])
    kept = dict(heaviest[: MAX_SPARSE_VALUES - len(LENGTH_LEVELS)])
    sample = _hash32(vector_id)
    for level in LENGTH_LEVELS:
        kept[length_dimension(level, sample % level)] = float(length)
    ordered = sorted(kept.items())
    return SparseVector([index for index, _ in ordered], [value for _, value in ordered])


def idf(document_frequency: int, documents: int) -> float:
    """BM25's inverse document frequency, as LanceDB computes it."""
    return math.log(1 + (documents - document_frequency + 0.5) / (document_frequency + 0.5))


def bm25(count: int, length: int, average_length: float, weight: float) -> float:
    """A term's BM25 score in a chunk: its `weight` (IDF) times its saturated count."""
    norm = _K1 * (1 - _B + _B * length / average_length)
    return weight * count * (_K1 + 1) / (count + norm)
