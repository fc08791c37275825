"""Notion's rate limit, shared by every sync of one integration token in the process.

The core runs each sync's ``changes()`` in its own thread with its own event loop, so the
limiter is thread-safe and never blocks a loop: a request reserves the next free slot under
a lock and then sleeps (asynchronously) until it comes. Limiters live in a module-level
registry keyed by a digest of the token, so two sources on the same integration (or two
concurrent syncs) share one budget. A 429 pauses every holder of the token until its
``Retry-After`` has passed; 5xx and network errors are retried with exponential backoff.
Only when retries run out does the response reach the client, which reports it as
``SourceUnavailableError`` with the wait Notion asked for.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import threading
import time
from dataclasses import dataclass, field

import httpx

from ..retry_after import retry_after_seconds

__all__ = ["RateLimiter", "ThrottledTransport", "limiter_for", "set_limit"]

_RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class RateLimiter:
    """A token bucket of ``rate`` requests a second (``burst`` at once); 0 is unlimited."""

    rate: float
    burst: int = 1
    _next_free: float = 0.0
    _paused_until: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reserve(self) -> float:
        """Take the next slot; return how many seconds to wait before using it."""
        now = time.monotonic()
        with self._lock:
            start = max(now, self._paused_until)
            if self.rate <= 0:
                return start - now
            interval = 1.0 / self.rate
            # A bucket of `burst` slots: idle time earns up to `burst` immediate requests.
            slot = max(start, self._next_free - interval * (self.burst - 1))
            self._next_free = max(self._next_free, slot) + interval
            return slot - now

    def pause(self, seconds: float) -> None:
        """Nobody sends for ``seconds`` (Notion said 429 with ``Retry-After``)."""
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def acquire(self) -> None:
        wait = self.reserve()
        if wait > 0:
            await asyncio.sleep(wait)


_LIMITERS: dict[tuple[str, str], RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def limiter_for(api_url: str, token: str, rate: float, burst: int) -> RateLimiter:
    """The process's limiter for ``token`` at ``api_url`` (created on first use).

    The key is a digest, so the registry never holds a token. A later caller with another
    rate gets the existing limiter: the budget belongs to the integration, not the caller.
    """
    key = (api_url, hashlib.sha256(token.encode()).hexdigest())
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(key)
        if limiter is None:
            limiter = _LIMITERS[key] = RateLimiter(rate=rate, burst=burst)
        return limiter


def set_limit(api_url: str, token: str, rate: float, burst: int = 1) -> RateLimiter:
    """Replace the limit of ``token`` at ``api_url``: for a fake or a proxy that allows
    more than Notion (tests, the bench). 0 is unlimited."""
    key = (api_url, hashlib.sha256(token.encode()).hexdigest())
    with _LIMITERS_LOCK:
        limiter = _LIMITERS[key] = RateLimiter(rate=rate, burst=burst)
        return limiter


class ThrottledTransport(httpx.AsyncBaseTransport):
    """Sends each request when the limiter allows, retrying 429, 5xx and network errors.

    Notion's reads are all safe to repeat (search and data-source queries are POSTs that
    change nothing), so every request is retried, unlike notion-client's own retry, which
    repeats only GETs on 5xx; that one is turned off.
    """

    def __init__(
        self,
        limiter: RateLimiter,
        *,
        max_retries: int,
        max_rate_limited: int,
        backoff_s: float,
        max_backoff_s: float,
        inner: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.limiter = limiter
        self.max_retries = max_retries
        self.max_rate_limited = max_rate_limited
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.retries = 0
        """Requests sent again (for tests and the bench)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        attempt = limited = 0
        while True:
            await self.limiter.acquire()
            try:
                response = await self.inner.handle_async_request(request)
            except httpx.TransportError:
                if attempt >= self.max_retries:
                    raise
                await asyncio.sleep(self._backoff(attempt))
                attempt += 1
                self.retries += 1
                continue
            status = response.status_code
            if status not in _RETRIED_STATUSES:
                return response
            # Rate limits get many more tries than failures: Notion says when to come back,
            # and waiting is how a huge workspace gets through.
            if (status == 429 and limited >= self.max_rate_limited) or (
                status != 429 and attempt >= self.max_retries
            ):
                return response
            await response.aread()
            await response.aclose()
            wait = retry_after_seconds(response.headers.get("Retry-After"), time.time())
            if status == 429:
                # Everyone on this token waits: Notion counts the integration, not the caller.
                self.limiter.pause(wait if wait is not None else self._backoff(limited))
                limited += 1
            else:
                await asyncio.sleep(wait if wait is not None else self._backoff(attempt))
                attempt += 1
            self.retries += 1

    def _backoff(self, attempt: int) -> float:
        base: float = min(self.max_backoff_s, self.backoff_s * 2**attempt)
        return base / 2 + random.random() * base / 2

    async def aclose(self) -> None:
        await self.inner.aclose()
