"""Inngest time strings ("300ms", "2h45m", "1d") and ISO timestamps as milliseconds."""

from __future__ import annotations

import datetime
import re

_UNIT_MS = {
    "ns": 1e-6,
    "us": 1e-3,
    "µs": 1e-3,
    "ms": 1.0,
    "s": 1_000.0,
    "m": 60_000.0,
    "h": 3_600_000.0,
    "d": 86_400_000.0,
    "w": 604_800_000.0,
}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w)")


def parse_duration_ms(value: str | int | float) -> int:
    """Parse a time string such as ``"1h30m"`` (or a number of ms) into milliseconds."""
    if isinstance(value, int | float):
        return int(value)
    text = value.strip()
    if not text:
        raise ValueError("empty duration")
    position = 0
    total = 0.0
    for match in _PART.finditer(text):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNIT_MS[match.group(2)]
        position = match.end()
    if position != len(text):
        raise ValueError(f"invalid duration {value!r}: expected e.g. '30s', '5m' or '1h30m'")
    return int(total)


def parse_timestamp_ms(value: str) -> int:
    """Parse an ISO 8601 timestamp (a trailing ``Z`` allowed) into epoch milliseconds."""
    parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return int(parsed.timestamp() * 1000)


def iso_from_ms(value: int) -> str:
    """Format epoch milliseconds as an RFC 3339 UTC timestamp, as Inngest's APIs do."""
    moment = datetime.datetime.fromtimestamp(value / 1000, tz=datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
