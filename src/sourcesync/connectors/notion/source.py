"""A Notion workspace (or the trees under some roots) as a source of documents.

Every sync lists what the integration can see: search for pages and for data sources
(newest edit first, 100 a page), each data source's rows, and the roots when some are
configured; child pages and databases found while reading a page's blocks join the listing,
so pages that search has not indexed yet are not missed. Listing costs one request per 100
objects; reading a page costs one request per block with children, so a full sync reads
every page and an incremental one only those edited since the cursor (less
``NotionSettings.overlap``: Notion reports late) or new to the listing.

Removals need no deletion log: the cursor keeps the ids the last listing saw, and an id
missing now is asked for directly (one request): a page in the trash or archived, or one
the integration lost access to (``object_not_found``), is removed; one that search merely
did not return is kept. So editing, trashing and losing access all show up in the next
incremental sync. A full sync leaves pruning to ``live_ids``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine, Iterator, Sequence
from datetime import UTC
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from ..document_source import DocumentBatch
from ..spec import SourceCursor
from .client import NotionClient
from .cursor import NotionCursor
from .settings import NotionSettings
from .sync_pass import SyncPass, normalize_id

__all__ = ["NotionSource"]

T = TypeVar("T")


class NotionSource:
    """The pages and data sources one Notion integration can see, as documents."""

    def __init__(
        self,
        *,
        workspace_id: str,
        source_id: str,
        settings: NotionSettings | None = None,
        roots: Sequence[str] = (),
        inner_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.workspace_id = workspace_id
        self.source_id = source_id
        self.settings = settings or NotionSettings()
        self.roots = tuple(normalize_id(root) for root in roots)
        self.client = NotionClient(self.settings, inner_transport=inner_transport)
        # notion-client is async and its connections belong to one loop, while the core
        # calls connectors from worker threads and, when validating, from a thread whose
        # loop is running: so the connector keeps a loop of its own on a thread of its own.
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="notion-connector", daemon=True
        )
        self._thread.start()
        self._live: set[str] | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the connector's loop and wait for it."""
        return self._start(coroutine).result()

    def _start(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``coroutine`` on the connector's loop."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def close(self) -> None:
        if self._loop.is_closed():
            return
        try:
            self._run(self.client.aclose())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()

    def validate(self) -> str:
        """Check the token (``users/me``) and that every root is shared with the
        integration; return the integration's name and workspace."""
        return self._run(self._validate())

    def changes(self, cursor: SourceCursor | None) -> Iterator[DocumentBatch]:
        """Batches of changed pages and data sources, oldest edit first; removals in the
        first batch."""
        previous = cursor if isinstance(cursor, NotionCursor) else None
        sync = SyncPass(self, previous)
        plan = self._run(sync.plan())
        self._live = None
        first = True
        # The cursor only moves past what is stored: batches are in ascending edit order.
        newest = previous.updated_at.astimezone(UTC) if previous else None
        size = self.settings.batch_size
        chunk, plan = plan[:size], plan[size:]
        # The next batch is read while the core stores this one.
        pending = self._start(sync.render(chunk)) if chunk else None
        try:
            while pending is not None:
                rendered = pending.result()
                plan.extend(rendered.discovered)
                following, plan = plan[:size], plan[size:]
                pending = self._start(sync.render(following)) if following else None
                newest = max(filter(None, [newest, *(item.edited for item in chunk)]))
                yield DocumentBatch(
                    documents=rendered.documents,
                    deleted_ids=[*(sync.deleted if first else ()), *rendered.lost],
                    cursor=NotionCursor(
                        updated_at=newest, pages=rendered.pages, data_sources=rendered.sources
                    ),
                )
                first = False
                chunk = following
        finally:
            if pending is not None:
                pending.cancel()
        if first:
            newest = newest or sync.newest_listed()
            yield DocumentBatch(documents=[], deleted_ids=sync.deleted, cursor=sync.cursor(newest))
        if previous is None:
            self._live = sync.live_ids()

    def live_ids(self) -> set[str] | None:
        """After a full sync, every page and data source it saw."""
        return self._live

    async def _validate(self) -> str:
        me = await self.client.me()
        bot = me.get("bot") or {}
        workspace = bot.get("workspace_name")
        for root in self.roots:
            await SyncPass(self, None).root(root)
        name = str(me.get("name") or "integration")
        return f"{name} ({workspace})" if workspace else name
