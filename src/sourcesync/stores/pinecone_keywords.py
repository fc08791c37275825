"""Keyword queries on Pinecone's sparse index, ranked by BM25 as LanceDB ranks them.

BM25 needs three statistics of the corpus: how many chunks have terms, their average length,
and how many chunks hold each query term. A stateless replica keeps none of them: it asks
the index, at query time, with sparse queries that read reserved indices of the stored
vectors (`sparse_keywords.py`):

- a query on the length index every vector has returns every vector's length as its score,
  hence their number and their mean, while the namespace has at most 10,000 vectors (the
  most a query returns); past that, the namespace's count comes from its statistics and the
  mean from one bucket of the first sample level small enough to be read whole;
- a query on a term's index returns the chunks that hold it: their number is its document
  frequency (a term in more than 10,000 chunks counts as in 10,000; its weight, small for
  so common a term, comes out a little high).

Like LanceDB's index (one table per namespace), the statistics cover the namespace, every
workspace in it. Candidates are then the best matches of the query's IDF weights against
the stored weights (8 per hit asked, at least 100, at most 1,000), read with their values,
and scored exactly: each term's count comes back from its weight and the chunk's length,
and BM25 uses the real average length. The stored weights assume an average length, so
a chunk the exact score would rank among the first but that ranks past the candidates by
the stored weights is missed; with that many candidates per hit, seen in no test.

(LanceDB agrees with this while its full-text index covers all of a table, or none of it;
between the writes that add rows and the optimization that indexes them, it scores the
rows not indexed yet with statistics of those rows alone.)
"""

import math
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sourcesync.stores.sparse_keywords import (
    LENGTH_LEVELS,
    bm25,
    idf,
    length_dimension,
    stems,
    term_count,
    term_dimension,
)

if TYPE_CHECKING:
    from pinecone import AsyncIndex

__all__ = ["MAX_TOP_K_WITH_DATA", "KeywordMatch", "Runner", "keyword_matches"]

Runner = Callable[[Sequence[Callable[[], Awaitable[Any]]]], Awaitable[list[Any]]]
"""Runs jobs with the store's bounded concurrency; results in order."""

MAX_TOP_K = 10_000
"""The most matches a query returns without values or metadata."""
MAX_TOP_K_WITH_DATA = 1_000
"""The most matches a query returns with values or metadata."""
_CANDIDATES_PER_HIT = 8
_MIN_CANDIDATES = 100
_SAMPLE_SIZE = 5_000
"""Vectors a length sample aims at: one bucket of the first level with so few per bucket."""


@dataclass(frozen=True, slots=True)
class _Corpus:
    documents: int
    average_length: float
    frequencies: Mapping[int, int]


@dataclass(frozen=True, slots=True)
class KeywordMatch:
    """A chunk's metadata and its BM25 score."""

    id: str
    metadata: Mapping[str, Any]
    score: float


async def keyword_matches(
    index: "AsyncIndex",
    namespace: str,
    terms: str,
    top_k: int,
    query_filter: Mapping[str, Any],
    run: Runner,
) -> list[KeywordMatch]:
    """The best of up to `top_k` candidates by BM25, best first (ties by id)."""
    counts = Counter(term_dimension(stem) for stem in stems(terms))
    if not counts:
        return []
    corpus = await _corpus(index, namespace, list(counts), run)
    weights = {
        dimension: count * idf(corpus.frequencies[dimension], corpus.documents)
        for dimension, count in counts.items()
        if corpus.frequencies[dimension]
    }
    if not weights:
        return []
    answer = await index.query(
        namespace=namespace,
        top_k=min(MAX_TOP_K_WITH_DATA, max(_MIN_CANDIDATES, top_k * _CANDIDATES_PER_HIT)),
        sparse_vector={"indices": list(weights), "values": list(weights.values())},
        filter=dict(query_filter),
        include_values=True,
        include_metadata=True,
    )
    whole = length_dimension(1, 0)
    matches: list[KeywordMatch] = []
    for match in answer.matches:
        sparse = match.sparse_values
        if sparse is None:  # every stored keyword vector is sparse
            continue
        values = dict(zip(sparse.indices, sparse.values, strict=True))
        if whole not in values:
            # Written before lengths were stored: BM25 with the assumed average length
            # (the candidate score) until its document is synced again.
            matches.append(KeywordMatch(match.id, match.metadata or {}, match.score))
            continue
        length = round(values[whole])
        score = math.fsum(
            bm25(term_count(values[d], length), length, corpus.average_length, weight)
            for d, weight in weights.items()
            if d in values
        )
        matches.append(KeywordMatch(match.id, match.metadata or {}, score))
    matches.sort(key=lambda match: (-match.score, match.id))
    return matches


async def _corpus(
    index: "AsyncIndex", namespace: str, dimensions: list[int], run: Runner
) -> _Corpus:
    async def matches(dimension: int) -> list[float]:
        answer = await index.query(
            namespace=namespace,
            top_k=MAX_TOP_K,
            sparse_vector={"indices": [dimension], "values": [1.0]},
        )
        return [match.score for match in answer.matches]

    def job(dimension: int) -> Callable[[], Awaitable[list[float]]]:
        return lambda: matches(dimension)

    lengths, *holding = await run([job(length_dimension(1, 0)), *map(job, dimensions)])
    frequencies = {d: len(found) for d, found in zip(dimensions, holding, strict=True)}
    if len(lengths) < MAX_TOP_K:
        documents = len(lengths)
    else:
        stats = await index.describe_index_stats()
        summary = stats.namespaces.get(namespace)
        documents = max(len(lengths), summary.vector_count if summary else 0)
        level = next((n for n in LENGTH_LEVELS if documents / n <= _SAMPLE_SIZE), LENGTH_LEVELS[-1])
        lengths = await matches(length_dimension(level, 0)) or lengths
    average = math.fsum(lengths) / len(lengths) if lengths else 1.0
    return _Corpus(documents, average, frequencies)
