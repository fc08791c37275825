"""ULIDs: sortable unique ids for runs and events, as Inngest uses."""

from __future__ import annotations

import os
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_lock = threading.Lock()
_last_ms = 0
_last_random = 0


def new_ulid() -> str:
    """Return a monotonic ULID: ids made in the same millisecond still sort in creation order."""
    global _last_ms, _last_random
    with _lock:
        now = time.time_ns() // 1_000_000
        if now <= _last_ms:
            now = _last_ms
            _last_random += 1
        else:
            _last_random = int.from_bytes(os.urandom(10), "big") >> 1
        _last_ms = now
        value = (now << 80) | (_last_random & ((1 << 80) - 1))
    return _encode(value, 26)


# Every pair of digits, indexed by the 10 bits it encodes: every call sends a fresh
# request id, so encoding runs once per step, and a pair per iteration halves the loop.
_PAIRS = [high + low for high in _ALPHABET for low in _ALPHABET]


def _encode(value: int, length: int) -> str:
    """``value`` as ``length`` (even) Crockford base32 digits, most significant first."""
    pairs = []
    for _ in range(length // 2):
        pairs.append(_PAIRS[value & 1023])
        value >>= 10
    return "".join(reversed(pairs))


def ulid_bound(ms: int, *, upper: bool = False) -> str:
    """The smallest (or, with ``upper``, the largest) ULID of millisecond ``ms``: ids are
    time-ordered, so a time window of events or runs is a range of their primary key."""
    return _encode(ms, 10) + ("Z" if upper else "0") * 16
