"""Requests waiting for an in-process model, so that concurrent callers share one encode.

While one encode runs, other callers' texts pile up in the queue; the next caller to get
the model encodes them together, up to ``MAX_SHARED_TEXTS``. One large call sorts its
texts by length and pads far less than many small ones, which matters when ten batches
embed side by side; the cap keeps each shared encode short (about 1.5 s on two CPU
cores), so that callers, and the progress they report, move every few seconds.
"""

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

__all__ = ["EncodeQueue", "encode_queued"]

Vectors = list[list[float]]
_Work = list[tuple[list[str], Future[Vectors]]]

MAX_SHARED_TEXTS = 64
"""Requests are taken together while their texts add up to this (one request at least)."""


@dataclass
class EncodeQueue:
    """Texts waiting for the model, each request with the future its caller waits on."""

    pending: _Work = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, texts: list[str]) -> Future[Vectors]:
        future: Future[Vectors] = Future()
        with self.lock:
            self.pending.append((texts, future))
        return future

    def take(self, limit: int = MAX_SHARED_TEXTS) -> _Work:
        """The oldest requests whose texts add up to at most ``limit`` (at least one)."""
        with self.lock:
            count, size = 0, 0
            for texts, _ in self.pending:
                if count and size + len(texts) > limit:
                    break
                count, size = count + 1, size + len(texts)
            taken, self.pending = self.pending[:count], self.pending[count:]
        return taken


def encode_queued(
    queue: EncodeQueue,
    model_lock: threading.Lock,
    encode: Callable[[list[str]], Vectors],
    texts: list[str],
) -> Vectors:
    """Encode `texts` on the calling thread, together with whatever others have queued.

    When the shared call fails, each request is encoded alone, so one bad request gets
    its own error and the others their vectors.
    """
    future = queue.put(texts)
    # Until this request is encoded (by this thread or another), take the oldest work.
    while not future.done():
        with model_lock:
            work = queue.take()
            if work:
                _encode_together(work, encode)
    return future.result()


def _encode_together(work: _Work, encode: Callable[[list[str]], Vectors]) -> None:
    try:
        vectors = encode([text for texts, _ in work for text in texts])
    except Exception as exc:
        if len(work) == 1:
            work[0][1].set_exception(exc)
            return
        for texts, future in work:
            try:
                future.set_result(encode(texts))
            except Exception as exc:
                future.set_exception(exc)
        return
    offset = 0
    for texts, future in work:
        future.set_result(vectors[offset : offset + len(texts)])
        offset += len(texts)
