"""Build performance of a project: durations, trend, failure rate, slowest builds.

Percentiles are nearest-rank (the smallest duration with at least p% of the builds at or
below it), so every figure is a duration that one build really took, in whole
milliseconds, and a test can recompute it exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import JsonValue

from .models import Deployment

__all__ = ["TargetStats", "build_stats", "percentile"]

SLOWEST = 5


def percentile(values: Sequence[int], p: float) -> int:
    """The nearest-rank ``p``-th percentile of ``values`` (not empty)."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class TargetStats:
    """The builds of one target (production or preview) over the window."""

    target: str
    finished: int
    failed: int
    canceled: int
    durations_ms: tuple[int, ...]
    """Build durations of the successful builds, newest first."""
    slowest: tuple[Deployment, ...]

    @property
    def p50_ms(self) -> int | None:
        return percentile(self.durations_ms, 50) if self.durations_ms else None

    @property
    def p95_ms(self) -> int | None:
        return percentile(self.durations_ms, 95) if self.durations_ms else None

    @property
    def failure_rate(self) -> float | None:
        """Failed builds among those that succeeded or failed (cancellations left out)."""
        decided = self.finished - self.canceled
        return round(self.failed / decided, 4) if decided else None

    @property
    def trend(self) -> tuple[int, int] | None:
        """Median of the newer half of the durations, and of the older half."""
        if len(self.durations_ms) < 4:
            return None
        half = len(self.durations_ms) // 2
        return percentile(self.durations_ms[:half], 50), percentile(self.durations_ms[-half:], 50)

    def metadata(self) -> dict[str, JsonValue]:
        trend = self.trend
        return {
            "builds": self.finished,
            "failed": self.failed,
            "canceled": self.canceled,
            "failure_rate": self.failure_rate,
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
            "trend": {"recent_p50_ms": trend[0], "earlier_p50_ms": trend[1]} if trend else None,
            "slowest": [
                {"deployment": d.uid, "build_ms": d.build_ms, "created": d.created}
                for d in self.slowest
            ],
        }


def build_stats(deployments: Iterable[Deployment], window: int) -> list[TargetStats]:
    """Statistics per target over the last ``window`` finished deployments of each."""
    by_target: dict[str, list[Deployment]] = {}
    for deployment in sorted(deployments, key=lambda d: (d.created, d.uid), reverse=True):
        if deployment.state in ("READY", "ERROR", "CANCELED"):
            recent = by_target.setdefault(deployment.environment, [])
            if len(recent) < window:
                recent.append(deployment)
    stats = []
    for target in sorted(by_target, key=lambda t: (t != "production", t)):
        recent = by_target[target]
        built = [d for d in recent if d.state == "READY" and d.build_ms is not None]
        slowest = sorted(built, key=lambda d: (-(d.build_ms or 0), d.uid))[:SLOWEST]
        stats.append(
            TargetStats(
                target=target,
                finished=len(recent),
                failed=sum(d.state == "ERROR" for d in recent),
                canceled=sum(d.state == "CANCELED" for d in recent),
                durations_ms=tuple(d.build_ms for d in built if d.build_ms is not None),
                slowest=tuple(slowest),
            )
        )
    return stats
