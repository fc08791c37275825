"""Source schedules: ``--every 1h`` (an interval) or a cron expression, in UTC.

A scheduled source's row holds its schedule and when its next sync is due; the
``sources-scheduler`` function finds the due ones every minute.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from croniter import croniter

__all__ = ["MIN_INTERVAL", "InvalidScheduleError", "next_run", "validate_schedule"]

_INTERVAL = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?")
MIN_INTERVAL = timedelta(minutes=1)
"""The scheduler looks for due sources once a minute."""


class InvalidScheduleError(ValueError):
    """The schedule is neither an interval nor a cron expression."""


def _interval(schedule: str) -> timedelta | None:
    match = _INTERVAL.fullmatch(schedule.strip().lower())
    if match is None or not any(match.groups()):
        return None
    days, hours, minutes = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def validate_schedule(schedule: str) -> str:
    """The schedule, checked: an interval (``30m``, ``1h``, ``1d``, ``1h30m``) of at least a
    minute, or a five-field cron expression (``0 * * * *``)."""
    interval = _interval(schedule)
    if interval is not None:
        if interval < MIN_INTERVAL:
            raise InvalidScheduleError(f"schedule {schedule!r} is shorter than a minute")
        return schedule.strip().lower()
    if len(schedule.split()) == 5 and croniter.is_valid(schedule):
        return " ".join(schedule.split())
    raise InvalidScheduleError(
        f"schedule {schedule!r} is neither an interval (30m, 1h, 1d, 1h30m) nor a cron "
        "expression (like '0 * * * *')"
    )


def next_run(schedule: str, after: datetime) -> datetime:
    """When a source on ``schedule`` next syncs, after ``after`` (timezone-aware)."""
    interval = _interval(schedule)
    if interval is not None:
        return after + interval
    following: datetime = croniter(schedule, after).get_next(datetime)
    return following
