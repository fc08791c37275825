"""Build statistics: nearest-rank percentiles, per target, over the window."""

from __future__ import annotations

import pytest

from sourcesync.connectors.vercel.models import Deployment
from sourcesync.connectors.vercel.stats import build_stats, percentile


def test_nearest_rank_percentiles() -> None:
    values = [15, 20, 35, 40, 50]
    assert percentile(values, 50) == 35
    assert percentile(values, 95) == 50
    assert percentile(list(range(1, 101)), 95) == 95
    with pytest.raises(ValueError):
        percentile([], 50)


def _deployment(n: int, state: str, target: str | None, build_s: int) -> Deployment:
    return Deployment.model_validate(
        {
            "uid": f"dpl_{n}",
            "name": "app",
            "state": state,
            "target": target,
            "created": n * 1000,
            "buildingAt": n * 1000,
            "ready": n * 1000 + build_s * 1000,
        }
    )


def test_stats_per_target_over_the_window() -> None:
    deployments = [_deployment(n, "READY", "production", n) for n in range(1, 11)]
    deployments += [
        _deployment(11, "ERROR", "production", 5),
        _deployment(12, "CANCELED", None, 5),
        _deployment(13, "BUILDING", None, 0),
        _deployment(14, "READY", None, 30),
    ]
    production, preview = build_stats(deployments, window=6)
    assert production.target == "production"
    # The six newest finished: the failure (11) and builds 10..6.
    assert production.durations_ms == (10_000, 9_000, 8_000, 7_000, 6_000)
    assert (production.p50_ms, production.p95_ms) == (8_000, 10_000)
    assert production.failure_rate == round(1 / 6, 4)
    assert production.slowest[0].uid == "dpl_10"
    assert preview.finished == 2 and preview.canceled == 1 and preview.failure_rate == 0.0
