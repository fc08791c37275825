"""Notion's cursor paging: ``has_more`` and ``next_cursor`` on every list, 100 at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from .client import JSONObject
from .errors import NotionAPIError

__all__ = ["collect", "iter_pages"]

PageCall = Callable[[str | None], Awaitable[JSONObject]]
"""Fetches the list page that starts at a cursor (None: the first)."""


async def iter_pages(call: PageCall) -> AsyncIterator[list[JSONObject]]:
    """Each page's ``results``, until Notion says there are no more."""
    cursor: str | None = None
    while True:
        page = await call(cursor)
        yield list(page.get("results") or [])
        if not page.get("has_more"):
            return
        next_cursor = page.get("next_cursor")
        if not next_cursor or next_cursor == cursor:
            # Asking again with the same cursor would loop forever.
            raise NotionAPIError(
                "Notion reported more results without a new next_cursor", status=200, code=""
            )
        cursor = str(next_cursor)


async def collect(call: PageCall) -> list[JSONObject]:
    """Every result of a paged list."""
    return [item async for page in iter_pages(call) for item in page]
