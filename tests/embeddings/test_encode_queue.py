"""Concurrent callers share encodes, each encode bounded in size, and none waits forever."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sourcesync.embeddings.encode_queue import (
    MAX_SHARED_TEXTS,
    EncodeQueue,
    encode_queued,
)


def test_queued_requests_are_taken_oldest_first_up_to_the_limit() -> None:
    queue = EncodeQueue()
    for size in (30, 30, 10, 200):
        queue.put(["t"] * size)
    assert [len(texts) for texts, _ in queue.take(64)] == [30, 30]
    assert [len(texts) for texts, _ in queue.take(64)] == [10]
    assert [len(texts) for texts, _ in queue.take(64)] == [200]  # alone, though larger
    assert queue.take(64) == []


def test_every_caller_gets_its_own_vectors_from_bounded_shared_encodes() -> None:
    queue, model_lock = EncodeQueue(), threading.Lock()
    encoded: list[int] = []
    release = threading.Event()

    def encode(texts: list[str]) -> list[list[float]]:
        release.wait(5)
        encoded.append(len(texts))
        return [[float(text)] for text in texts]

    def call(n: int) -> list[list[float]]:
        return encode_queued(queue, model_lock, encode, [str(n)] * 16)

    with ThreadPoolExecutor(12) as pool:
        futures = [pool.submit(call, n) for n in range(12)]
        release.set()
        results = [future.result(timeout=10) for future in futures]
    assert results == [[[float(n)]] * 16 for n in range(12)]
    assert sum(encoded) == 12 * 16
    assert max(encoded) <= MAX_SHARED_TEXTS
