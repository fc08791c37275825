"""A deployment's build log from ``/v3/deployments/{id}/events``: its lines in order,
redacted, and trimmed to what matters within a size cap."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["BuildLog", "LogLine", "read_events"]

_ERROR = re.compile(
    r"(?i)\b(error|err!|failed|failure|fatal|exception|cannot find|could not|not found"
    r"|unhandled|exit(?:ed)? with code [1-9])"
)
_WARNING = re.compile(r"(?i)\bwarn(?:ing)?\b")
_TEXT_TYPES = frozenset({"stdout", "stderr", "command", "exit", "fatal"})


@dataclass(frozen=True)
class LogLine:
    kind: str
    text: str

    @property
    def is_error(self) -> bool:
        return self.kind != "command" and bool(_ERROR.search(self.text))

    @property
    def is_warning(self) -> bool:
        return bool(_WARNING.search(self.text))


def read_events(events: Iterable[Mapping[str, Any]], redact: Callable[[str], str]) -> list[LogLine]:
    """The text lines of a build's events, in order, each redacted before it is kept.

    Vercel answers in two shapes: ``{type, created, payload: {text, ...}}`` and the flat
    ``{type, created, text, ...}``; events without text (delimiters, reports) are skipped.
    """
    ordered = sorted(
        (e for e in events if isinstance(e, Mapping)),
        key=lambda e: (_number(e.get("created")), _number(_payload(e).get("serial"))),
    )
    lines: list[LogLine] = []
    for event in ordered:
        kind = str(event.get("type") or "")
        if kind not in _TEXT_TYPES:
            continue
        text = _payload(event).get("text", event.get("text"))
        if not isinstance(text, str) or not text.strip():
            continue
        for part in redact(text).splitlines():
            if part.strip():
                lines.append(LogLine(kind, part.rstrip()))
    return lines


def _payload(event: Mapping[str, Any]) -> Mapping[str, Any]:
    payload = event.get("payload")
    return payload if isinstance(payload, Mapping) else event


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


@dataclass(frozen=True)
class BuildLog:
    """The redacted lines of one build and the excerpt of them that is stored."""

    lines: Sequence[LogLine]

    def error_lines(self, limit: int = 20) -> list[str]:
        """The lines that report errors, first ``limit`` of them."""
        return [line.text for line in self.lines if line.is_error][:limit]

    @property
    def warning_count(self) -> int:
        return sum(line.is_warning and not line.is_error for line in self.lines)

    def excerpt(self, cap: int, context: int) -> str:
        """The whole log when it fits in ``cap`` characters; else its errors and warnings
        with ``context`` lines around each, then as much of its end as fits."""
        whole = "\n".join(line.text for line in self.lines)
        if len(whole) <= cap:
            return whole
        keep: set[int] = set()
        for index, line in enumerate(self.lines):
            if line.is_error or line.is_warning:
                keep.update(range(max(0, index - context), index + context + 1))
        parts: list[str] = []
        size = 0
        previous = -1
        for index in sorted(i for i in keep if i < len(self.lines)):
            text = self.lines[index].text
            if size + len(text) + 1 > cap:
                break
            if index != previous + 1:
                parts.append(f"[... {index - previous - 1} lines omitted ...]")
            parts.append(text)
            size += len(text) + 1
            previous = index
        tail: list[str] = []
        for index in range(len(self.lines) - 1, previous, -1):
            text = self.lines[index].text
            if size + len(text) + 1 > cap:
                break
            tail.append(text)
            size += len(text) + 1
        first_tail = len(self.lines) - len(tail)
        if tail and first_tail != previous + 1:
            parts.append(f"[... {first_tail - previous - 1} lines omitted ...]")
        parts.extend(reversed(tail))
        return "\n".join(parts)
