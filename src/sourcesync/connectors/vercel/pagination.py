"""Vercel's listing pagination: each page says in ``pagination.next`` the timestamp to
pass as ``until`` for the next (older) page, and ``null`` on the last page."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .client import VercelClient

__all__ = ["iter_pages"]


def iter_pages(
    client: VercelClient,
    path: str,
    key: str,
    *,
    what: str,
    params: Mapping[str, str | int] | None = None,
    page_size: int,
    limit: int | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Pages of the ``key`` list of ``path``, newest first, until the last page or until
    ``limit`` items were yielded."""
    until: int | None = None
    seen = 0
    while True:
        query: dict[str, str | int] = {**(params or {}), "limit": page_size}
        if until is not None:
            query["until"] = until
        body = client.get(path, what=what, params=query)
        items = [item for item in body.get(key) or [] if isinstance(item, dict)]
        if limit is not None:
            items = items[: limit - seen]
        seen += len(items)
        if items:
            yield items
        pagination = body.get("pagination") or {}
        following = pagination.get("next") if isinstance(pagination, dict) else None
        if following is None or not items or (limit is not None and seen >= limit):
            return
        if until is not None and int(following) >= until:
            return  # a page that does not move back in time would loop forever
        until = int(following)
