"""Build logs: both event shapes, order, error lines, the size cap."""

from __future__ import annotations

from sourcesync.connectors.vercel.build_log import BuildLog, LogLine, read_events
from sourcesync.connectors.vercel.redaction import Redactor


def test_both_event_shapes_are_read_in_order_and_redacted() -> None:
    events = [
        {"type": "stderr", "created": 3, "payload": {"text": "Error: boom", "serial": "3"}},
        {"type": "stdout", "created": 1, "text": "SECRET_THING=abc123"},
        {"type": "delimiter", "created": 2, "payload": {"text": "ignored"}},
        {"type": "command", "created": 0, "payload": {"text": "npm run build"}},
    ]
    lines = read_events(events, Redactor(["SECRET_THING"]))
    assert [line.text for line in lines] == [
        "npm run build",
        "SECRET_THING=[REDACTED]",
        "Error: boom",
    ]
    assert BuildLog(lines).error_lines() == ["Error: boom"]


def test_a_long_log_keeps_errors_with_context_and_its_end() -> None:
    lines = [LogLine("stdout", f"step {n} " + "x" * 50) for n in range(1000)]
    lines[500] = LogLine("stderr", "Module not found: Can't resolve 'left-pad'")
    excerpt = BuildLog(lines).excerpt(cap=2_000, context=2)
    assert len(excerpt) <= 2_000 + 200  # the omission markers
    assert "Module not found" in excerpt
    assert "step 499" in excerpt and "step 502" in excerpt
    assert "step 999" in excerpt
    assert "lines omitted" in excerpt
    assert "step 10 " not in excerpt


def test_a_short_log_is_kept_whole() -> None:
    lines = [LogLine("stdout", f"line {n}") for n in range(5)]
    assert BuildLog(lines).excerpt(cap=1_000, context=1) == "\n".join(f"line {n}" for n in range(5))
