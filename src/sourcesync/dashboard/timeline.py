"""Spans on one time axis: a run's steps, or every run of a sync job, laid out as bars so
that where the time went, and what failed, shows at a glance."""

from __future__ import annotations

from dataclasses import dataclass

AXIS_WIDTH = 1000
"""Bars are placed on an axis this wide (the SVG's viewBox), whatever the screen."""
MIN_BAR_WIDTH = 2


@dataclass(frozen=True)
class Span:
    """Something that started and (unless ``end_ms`` is None) ended."""

    label: str
    start_ms: int
    end_ms: int | None
    status: str
    href: str | None = None
    depth: int = 0
    note: str = ""


@dataclass(frozen=True)
class Bar:
    """A span placed on the axis: ``x`` and ``width`` in axis units."""

    span: Span
    x: int
    width: int
    offset_ms: int
    duration_ms: int | None


def lay_out(spans: list[Span], axis_start_ms: int, axis_end_ms: int) -> list[Bar]:
    """Place spans on an axis from ``axis_start_ms`` to ``axis_end_ms``; a span not ended
    yet runs to the axis' end."""
    total = max(1, axis_end_ms - axis_start_ms)
    bars = []
    for span in spans:
        start = min(max(span.start_ms, axis_start_ms), axis_end_ms)
        end = max(start, min(span.end_ms if span.end_ms is not None else axis_end_ms, axis_end_ms))
        x = round((start - axis_start_ms) * AXIS_WIDTH / total)
        width = max(MIN_BAR_WIDTH, round((end - start) * AXIS_WIDTH / total))
        bars.append(
            Bar(
                span=span,
                x=min(x, AXIS_WIDTH - MIN_BAR_WIDTH),
                width=min(width, AXIS_WIDTH - min(x, AXIS_WIDTH - MIN_BAR_WIDTH)),
                offset_ms=span.start_ms - axis_start_ms,
                duration_ms=None if span.end_ms is None else span.end_ms - span.start_ms,
            )
        )
    return bars
