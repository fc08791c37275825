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
import functools
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from sourcesync.documents import Document

from ..document_source import DocumentBatch
from ..errors import SourceConfigError
from ..spec import SourceCursor
from .blocks import fetch_block_tree
from .client import JSONObject, NotionClient
from .cursor import NotionCursor
from .errors import NotionNotFoundError
from .ids import notion_data_source_id, notion_page_id
from .pagination import collect
from .properties import page_title
from .settings import NotionSettings
from .transform import Crumb, data_source_document, data_source_title, page_document

__all__ = ["NotionSource"]

_MAX_ANCESTORS = 64
T = TypeVar("T")


@dataclass(frozen=True, order=True)
class _Item:
    edited: datetime
    kind: str  # "page" or "data_source"
    id: str


def _edited(obj: JSONObject) -> datetime:
    value = str(obj.get("last_edited_time") or "1970-01-01T00:00:00Z")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _gone(obj: JSONObject) -> bool:
    return bool(obj.get("in_trash") or obj.get("archived") or obj.get("is_archived"))


@dataclass(frozen=True, kw_only=True)
class _Rendered:
    """One batch read: its documents, pages gone since the listing, pages found through
    links that no listing showed, and the ids the cursor keeps at that point."""

    documents: list[Document]
    lost: list[str]
    discovered: list[_Item]
    pages: list[str]
    sources: list[str]


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
        self.roots = tuple(_normalize_id(root) for root in roots)
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
        sync = _Sync(self, previous)
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
            await _Sync(self, None).root(root)
        name = str(me.get("name") or "integration")
        return f"{name} ({workspace})" if workspace else name


@dataclass
class _Sync:
    """One sync's state: what is listed, titles and parents looked up, what was rendered."""

    source: NotionSource
    previous: NotionCursor | None
    pages: dict[str, JSONObject] = field(default_factory=dict)
    data_sources: dict[str, JSONObject] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    integration: str = ""
    _lookups: dict[tuple[str, str], asyncio.Task[JSONObject | None]] = field(default_factory=dict)
    _discovered: list[_Item] = field(default_factory=list)
    _lost: list[str] = field(default_factory=list)
    _unrendered: set[str] = field(default_factory=set)
    """Planned ids not rendered yet: the cursor does not count them as seen, so a sync
    that stops half-way reads them next time."""
    _planned: set[str] = field(default_factory=set)
    _semaphore: asyncio.Semaphore | None = None

    @property
    def client(self) -> NotionClient:
        return self.source.client

    @property
    def settings(self) -> NotionSettings:
        return self.source.settings

    @property
    def since(self) -> datetime | None:
        if self.previous is None:
            return None
        return self.previous.updated_at.astimezone(UTC) - self.settings.overlap

    async def _limited(self, call: Callable[[], Awaitable[JSONObject]]) -> JSONObject:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.settings.block_concurrency)
        async with self._semaphore:
            return await call()

    # -- listing ----------------------------------------------------------------------

    async def plan(self) -> list[_Item]:
        """List everything visible, settle what was lost, and order what to render."""
        me = await self.client.me()
        self.integration = str(me.get("name") or "integration")
        for kind in ("page", "data_source"):
            for obj in await collect(functools.partial(self.client.search, kind)):
                self._admit(obj)
        for root in self.source.roots:
            for obj in await self.root(root):
                self._admit(obj)
        if self.source.roots:
            await self._keep_in_scope()
        await asyncio.gather(*(self._rows(ds_id) for ds_id in list(self.data_sources)))
        await self._settle_missing()
        if self.source.roots:
            await self._keep_in_scope()
        known_pages = set(self.previous.pages) if self.previous else set()
        known_sources = set(self.previous.data_sources) if self.previous else set()
        self.deleted += [notion_page_id(i) for i in sorted(known_pages - set(self.pages))]
        self.deleted += [
            notion_data_source_id(i) for i in sorted(known_sources - set(self.data_sources))
        ]
        since = self.since
        items = [
            _Item(_edited(obj), "page", page_id)
            for page_id, obj in self.pages.items()
            if since is None or _edited(obj) >= since or page_id not in known_pages
        ] + [
            _Item(_edited(obj), "data_source", ds_id)
            for ds_id, obj in self.data_sources.items()
            if since is None or _edited(obj) >= since or ds_id not in known_sources
        ]
        self._planned = {item.id for item in items}
        self._unrendered = set(self._planned)
        return sorted(items)

    def _admit(self, obj: JSONObject) -> None:
        object_id = str(obj["id"])
        kind = obj.get("object")
        if _gone(obj):
            self.pages.pop(object_id, None)
            self.data_sources.pop(object_id, None)
            return
        if kind == "page":
            self.pages[object_id] = obj
        elif kind == "data_source":
            self.data_sources[object_id] = obj

    async def root(self, root_id: str) -> list[JSONObject]:
        """A configured root: a page, or a database with its data sources."""
        try:
            return [await self.client.page(root_id)]
        except NotionNotFoundError:
            pass
        try:
            database = await self.client.database(root_id)
        except NotionNotFoundError as error:
            raise SourceConfigError(
                f"Notion has no page or database {root_id} shared with the integration in "
                f"{self.settings.token_env}: open it in Notion, then ... > Connections > add "
                "the integration (or fix --root)"
            ) from error
        return [
            await self.client.data_source(str(entry["id"]))
            for entry in database.get("data_sources") or []
        ]

    async def _rows(self, data_source_id: str) -> None:
        since = self.since
        edited_since = since.isoformat().replace("+00:00", "Z") if since else None
        rows = await collect(
            lambda cursor: self._limited(
                lambda: self.client.query_data_source(data_source_id, cursor, edited_since)
            )
        )
        for row in rows:
            self._admit(row)

    async def _settle_missing(self) -> None:
        """Ids the last listing saw and this one did not: ask for each directly."""
        if self.previous is None:
            return
        missing_pages = [i for i in self.previous.pages if i not in self.pages]
        missing_sources = [i for i in self.previous.data_sources if i not in self.data_sources]
        found = await asyncio.gather(
            *(self._lookup("page", i) for i in missing_pages),
            *(self._lookup("data_source", i) for i in missing_sources),
        )
        for obj in found:
            if obj is not None:
                self._admit(obj)

    async def _keep_in_scope(self) -> None:
        roots = set(self.source.roots)

        async def in_scope(obj: JSONObject) -> bool:
            if _normalize_id(str(obj["id"])) in roots:
                return True
            chain = await self.ancestors(obj)
            return any(_normalize_id(crumb.id) in roots for crumb in chain)

        for table in (self.pages, self.data_sources):
            ids = list(table)
            keep = await asyncio.gather(*(in_scope(table[i]) for i in ids))
            for object_id, kept in zip(ids, keep, strict=True):
                if not kept:
                    del table[object_id]

    # -- lookups ------------------------------------------------------------------------

    async def _lookup(self, kind: str, object_id: str) -> JSONObject | None:
        """A page, data source, database or block, once per sync; None when the
        integration cannot see it."""
        if kind == "page" and object_id in self.pages:
            return self.pages[object_id]
        if kind == "data_source" and object_id in self.data_sources:
            return self.data_sources[object_id]
        key = (kind, object_id)
        if key not in self._lookups:
            fetch = {
                "page": self.client.page,
                "data_source": self.client.data_source,
                "database": self.client.database,
                "block": self.client.block,
            }[kind]

            async def run() -> JSONObject | None:
                try:
                    return await self._limited(lambda: fetch(object_id))
                except NotionNotFoundError:
                    return None

            self._lookups[key] = asyncio.ensure_future(run())
        return await self._lookups[key]

    async def ancestors(self, obj: JSONObject) -> list[Crumb]:
        """The pages, databases and data sources above ``obj``, outermost first."""
        chain: list[Crumb] = []
        parent: Any = obj.get("parent")
        while isinstance(parent, dict) and len(chain) < _MAX_ANCESTORS:
            kind = str(parent.get("type"))
            if kind not in ("page_id", "data_source_id", "database_id", "block_id"):
                break  # the workspace
            lookup = kind.removesuffix("_id")
            parent_id = str(parent[kind])
            found = await self._lookup(lookup, parent_id)
            if found is None:
                chain.append(Crumb(lookup, parent_id, "(not shared with the integration)"))
                break
            if lookup == "page":
                chain.append(Crumb("page", parent_id, page_title(found)))
            elif lookup == "data_source":
                chain.append(Crumb("data_source", parent_id, data_source_title(found)))
            elif lookup == "database":
                chain.append(Crumb("database", parent_id, data_source_title(found)))
            parent = found.get("parent")
        return chain[::-1]

    async def _titles(self, page: JSONObject) -> dict[str, str]:
        """Titles of the pages ``page``'s relations point to."""
        ids = {
            str(ref.get("id"))
            for prop in (page.get("properties") or {}).values()
            if isinstance(prop, dict) and prop.get("type") == "relation"
            for ref in prop.get("relation") or []
        }
        ids |= {
            str(ref.get("id"))
            for prop in (page.get("properties") or {}).values()
            if isinstance(prop, dict) and prop.get("type") == "rollup"
            for item in (prop.get("rollup") or {}).get("array") or []
            if isinstance(item, dict) and item.get("type") == "relation"
            for ref in item.get("relation") or []
        }
        found = await asyncio.gather(*(self._lookup("page", i) for i in sorted(ids)))
        return {i: page_title(obj) for i, obj in zip(sorted(ids), found, strict=True) if obj}

    # -- rendering ----------------------------------------------------------------------

    async def render(self, items: Sequence[_Item]) -> _Rendered:
        """The documents of ``items``, with what reading them found (on the loop's thread,
        which alone touches the sync's state)."""
        rendered = await asyncio.gather(*(self._render(item) for item in items))
        lost, self._lost = self._lost, []
        discovered, self._discovered = sorted(self._discovered), []
        return _Rendered(
            documents=[document for document in rendered if document is not None],
            lost=lost,
            discovered=discovered,
            pages=sorted(set(self.pages) - self._unrendered),
            sources=sorted(set(self.data_sources) - self._unrendered),
        )

    async def _render(self, item: _Item) -> Document | None:
        self._unrendered.discard(item.id)
        common = {
            "integration": self.integration,
            "workspace_id": self.source.workspace_id,
            "source_id": self.source.source_id,
        }
        if item.kind == "data_source":
            data_source = self.data_sources[item.id]
            ancestors = await self.ancestors(data_source)
            titles = {i: t for i, t in ((c.id, c.title) for c in ancestors)}
            for prop in (data_source.get("properties") or {}).values():
                target = (prop.get("relation") or {}).get("data_source_id")
                if target:
                    found = await self._lookup("data_source", str(target))
                    if found is not None:
                        titles[str(target)] = data_source_title(found)
            return data_source_document(data_source, ancestors=ancestors, titles=titles, **common)
        page = self.pages[item.id]
        try:
            tree = await fetch_block_tree(
                self.client,
                item.id,
                self._semaphore_for_blocks(),
                self.settings.max_block_depth,
            )
        except NotionNotFoundError:
            # Trashed or unshared between the listing and now: gone, like the others.
            del self.pages[item.id]
            self._lost.append(notion_page_id(item.id))
            return None
        ancestors, titles = await asyncio.gather(self.ancestors(page), self._titles(page))
        await self._discover(tree.child_pages, tree.child_databases)
        return page_document(page, tree.blocks, ancestors=ancestors, titles=titles, **common)

    def _semaphore_for_blocks(self) -> asyncio.Semaphore:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.settings.block_concurrency)
        return self._semaphore

    async def _discover(self, page_ids: Sequence[str], database_ids: Sequence[str]) -> None:
        for page_id in page_ids:
            if page_id in self._planned or page_id in self.pages:
                continue
            self._planned.add(page_id)
            page = await self._lookup("page", page_id)
            if page is not None and not _gone(page):
                self.pages[page_id] = page
                self._discovered.append(_Item(_edited(page), "page", page_id))
                self._unrendered.add(page_id)
        for database_id in database_ids:
            if database_id in self._planned:
                continue
            self._planned.add(database_id)
            database = await self._lookup("database", database_id)
            for entry in (database or {}).get("data_sources") or []:
                ds_id = str(entry["id"])
                if ds_id in self._planned or ds_id in self.data_sources:
                    continue
                self._planned.add(ds_id)
                data_source = await self._lookup("data_source", ds_id)
                if data_source is None or _gone(data_source):
                    continue
                self.data_sources[ds_id] = data_source
                self._discovered.append(_Item(_edited(data_source), "data_source", ds_id))
                self._unrendered.add(ds_id)
                before = set(self.pages)
                await self._rows(ds_id)
                for row_id in set(self.pages) - before:
                    if row_id not in self._planned:
                        self._planned.add(row_id)
                        self._discovered.append(_Item(_edited(self.pages[row_id]), "page", row_id))
                        self._unrendered.add(row_id)

    # -- results ------------------------------------------------------------------------

    def newest_listed(self) -> datetime:
        stamps = [_edited(obj) for obj in (*self.pages.values(), *self.data_sources.values())]
        return max(stamps) if stamps else datetime.now(UTC)

    def cursor(self, newest: datetime) -> NotionCursor:
        return NotionCursor(
            updated_at=newest, pages=sorted(self.pages), data_sources=sorted(self.data_sources)
        )

    def live_ids(self) -> set[str]:
        return {notion_page_id(i) for i in self.pages} | {
            notion_data_source_id(i) for i in self.data_sources
        }


def _normalize_id(value: str) -> str:
    """A Notion id as given in a URL or with dashes, as a bare 32-character hex string."""
    tail = value.rstrip("/").rsplit("/", 1)[-1].rsplit("-", 1)[-1] if "/" in value else value
    return tail.replace("-", "").lower()
