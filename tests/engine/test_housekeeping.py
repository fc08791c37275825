"""Housekeeping: flow-control marks do not pile up, and limits they rely on are enforced."""

from __future__ import annotations

import asyncio

import httpx

from sourcesync.engine import Engine
from sourcesync.engine.clock import now_ms
from sourcesync.engine.config import IDEMPOTENCY_WINDOW_MS
from sourcesync.engine.enums import MarkKind

from .test_registration import function_config, sync_request


async def test_marks_older_than_the_longest_window_are_pruned(engine: Engine) -> None:
    now = now_ms()
    engine.state.add_mark(MarkKind.RATE, "fn", "key", now - IDEMPOTENCY_WINDOW_MS - 1_000)
    engine.state.add_mark(MarkKind.RATE, "fn", "key", now - 1_000)
    engine.scheduler.pruned_at = 0
    engine.scheduler.wake.set()
    for _ in range(200):
        if engine.state.count_marks(MarkKind.RATE, "fn", "key", 0) == 1:
            break
        await asyncio.sleep(0.01)
    assert engine.state.count_marks(MarkKind.RATE, "fn", "key", 0) == 1


async def test_a_rate_limit_period_over_24_hours_is_refused(http: httpx.AsyncClient) -> None:
    config = function_config("too-long", rateLimit={"limit": 1, "period": "48h"})
    response = await http.post("/fn/register", json=sync_request(config))
    assert response.status_code == 400
    assert "rateLimit.period" in response.json()["error"]
