"""Retrying a source's transient failures in place, before they fail a whole batch.

A batch makes dozens of requests; if any blip (a 502, a dropped connection, a short
rate-limit pause) failed the batch, one request in ten failing would fail nearly every
batch on every attempt. So each request is retried here a few times with backoff, waiting
what the source asks when that is short; a longer wait (an exhausted hourly quota) is
raised to the workflow, which waits durably instead of holding a thread.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from .errors import SourceUnavailableError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    """Tries of one request in all."""
    backoff_s: float = 0.5
    """The first wait without a Retry-After; doubled each time, with jitter."""
    max_wait_s: float = 10.0
    """Longer waits are left to the workflow."""


DEFAULT_POLICY = RetryPolicy()


def with_retries(
    call: Callable[[], T],
    policy: RetryPolicy = DEFAULT_POLICY,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``call()``, retried on ``SourceUnavailableError`` as ``policy`` allows."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return call()
        except SourceUnavailableError as exc:
            backoff = policy.backoff_s * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)
            wait = exc.retry_after_s if exc.retry_after_s is not None else backoff
            if attempt == policy.attempts or wait > policy.max_wait_s:
                raise
            sleep(wait)
    raise AssertionError("unreachable: the last attempt returns or raises")
