"""Requests waiting for an in-process model, so that concurrent callers share one encode.

While one encode runs, other callers' texts pile up in the queue; the next caller to get
the model encodes all of them at once. One large call sorts its texts by length and pads
far less than many small ones, which matters when ten batches embed side by side.
"""

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

__all__ = ["EncodeQueue", "encode_queued"]

Vectors = list[list[float]]
_Work = list[tuple[list[str], Future[Vectors]]]


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

    def take_all(self) -> _Work:
        with self.lock:
            taken, self.pending = self.pending, []
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
    with model_lock:
        work = queue.take_all()
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
