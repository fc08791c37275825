"""The trace of a sync job: every engine run of the job on one time axis.

A job's runs are those whose triggering event carries its ``jobId`` (the orchestrator,
the source sync, every files batch and documents batch), plus the runs they invoked
(store-ensure, documents-process), found through the engine's read view. They are shown
as a tree: each run under the run that invoked it, the rest in order of start.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sourcesync.engine import Engine, RunRow, RunStatus

from .timeline import Bar, Span, lay_out

MAX_TRACE_RUNS = 2_000
"""A trace shows at most this many runs (a 100,000-file sync has about 4,000)."""
WINDOW_BEFORE_MS = 5_000
WINDOW_AFTER_MS = 120_000
"""The job's runs are looked for from a little before it was created to a while after it
ended (its orchestrator sends ``sync.completed`` after the job row is finished)."""


@dataclass(frozen=True)
class Trace:
    bars: list[Bar]
    start_ms: int
    end_ms: int
    truncated: bool
    failed: int


def _label(engine: Engine, run: RunRow, app_prefix: str) -> str:
    name = run.function_id.removeprefix(app_prefix)
    events = engine.view.run_events(run, first_only=True)
    data = events[0].get("data", {}) if events else {}
    index = data.get("batchIndex") if isinstance(data, dict) else None
    return f"{name} #{index}" if isinstance(index, int) else name


def job_trace(
    engine: Engine, job_id: str, created_ms: int, ended_ms: int | None, now_ms: int
) -> Trace:
    """The job's runs as bars from its first run's start to its last run's end."""
    view = engine.view
    until = (ended_ms or now_ms) + WINDOW_AFTER_MS
    found = view.runs_by_event_field(
        "jobId", job_id, created_ms - WINDOW_BEFORE_MS, until, MAX_TRACE_RUNS
    )
    runs = {run.id: run for run in found}
    frontier = list(found)
    while frontier and len(runs) < MAX_TRACE_RUNS:
        invoked = [child for run in frontier for child in view.child_runs(run.id)]
        frontier = [child for child in invoked if child.id not in runs]
        runs |= {child.id: child for child in frontier}
    under: dict[str | None, list[RunRow]] = defaultdict(list)
    for run in runs.values():
        under[run.parent_run_id if run.parent_run_id in runs else None].append(run)
    ordered: list[tuple[RunRow, int]] = []

    def walk(parent: str | None, depth: int) -> None:
        for run in sorted(under[parent], key=lambda r: (r.started_at or r.created_at, r.id)):
            ordered.append((run, depth))
            walk(run.id, depth + 1)

    walk(None, 0)
    prefix = _common_prefix([run.function_id for run in runs.values()])
    spans = [
        Span(
            label=_label(engine, run, prefix),
            start_ms=run.started_at or run.created_at,
            end_ms=run.ended_at,
            status=str(run.status),
            href=f"/runs/{run.id}",
            depth=depth,
        )
        for run, depth in ordered
    ]
    start = min((span.start_ms for span in spans), default=created_ms)
    end = max((span.end_ms or now_ms for span in spans), default=ended_ms or now_ms)
    return Trace(
        bars=lay_out(spans, start, max(end, start + 1)),
        start_ms=start,
        end_ms=end,
        truncated=len(found) >= MAX_TRACE_RUNS,
        failed=sum(1 for span in spans if span.status == RunStatus.FAILED),
    )


def _common_prefix(function_ids: list[str]) -> str:
    """The app id all function ids start with (``sourcesync-``), to leave out of labels."""
    prefixes = {fn.split("-", 1)[0] + "-" for fn in function_ids if "-" in fn}
    return prefixes.pop() if len(prefixes) == 1 else ""
