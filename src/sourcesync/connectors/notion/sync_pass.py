"""One sync's pass over a Notion workspace: the listing, the lookups of titles and parents,
and the pages read in batches (see ``source.py`` for how listing and removals work)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sourcesync.documents import Document

from ..errors import SourceConfigError
from .blocks import fetch_block_tree
from .client import JSONObject, NotionClient
from .cursor import NotionCursor
from .errors import NotionNotFoundError
from .ids import notion_data_source_id, notion_page_id
from .pagination import collect
from .properties import page_title
from .settings import NotionSettings
from .transform import Crumb, data_source_document, data_source_title, page_document

if TYPE_CHECKING:
    from .source import NotionSource

__all__ = ["ListedItem", "Rendered", "SyncPass", "normalize_id"]

_MAX_ANCESTORS = 64


@dataclass(frozen=True, order=True)
class ListedItem:
    edited: datetime
    kind: str  # "page" or "data_source"
    id: str


def _edited(obj: JSONObject) -> datetime:
    value = str(obj.get("last_edited_time") or "1970-01-01T00:00:00Z")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _gone(obj: JSONObject) -> bool:
    return bool(obj.get("in_trash") or obj.get("archived") or obj.get("is_archived"))


@dataclass(frozen=True, kw_only=True)
class Rendered:
    """One batch read: its documents, pages gone since the listing, pages found through
    links that no listing showed, and the ids the cursor keeps at that point."""

    documents: list[Document]
    lost: list[str]
    discovered: list[ListedItem]
    pages: list[str]
    sources: list[str]


@dataclass
class SyncPass:
    """One sync's state: what is listed, titles and parents looked up, what was rendered."""

    source: NotionSource
    previous: NotionCursor | None
    pages: dict[str, JSONObject] = field(default_factory=dict)
    data_sources: dict[str, JSONObject] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    integration: str = ""
    _lookups: dict[tuple[str, str], asyncio.Task[JSONObject | None]] = field(default_factory=dict)
    _discovered: list[ListedItem] = field(default_factory=list)
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

    async def plan(self) -> list[ListedItem]:
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
            ListedItem(_edited(obj), "page", page_id)
            for page_id, obj in self.pages.items()
            if since is None or _edited(obj) >= since or page_id not in known_pages
        ] + [
            ListedItem(_edited(obj), "data_source", ds_id)
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
            if normalize_id(str(obj["id"])) in roots:
                return True
            chain = await self.ancestors(obj)
            return any(normalize_id(crumb.id) in roots for crumb in chain)

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

    async def render(self, items: Sequence[ListedItem]) -> Rendered:
        """The documents of ``items``, with what reading them found (on the loop's thread,
        which alone touches the sync's state)."""
        rendered = await asyncio.gather(*(self._render(item) for item in items))
        lost, self._lost = self._lost, []
        discovered, self._discovered = sorted(self._discovered), []
        return Rendered(
            documents=[document for document in rendered if document is not None],
            lost=lost,
            discovered=discovered,
            pages=sorted(set(self.pages) - self._unrendered),
            sources=sorted(set(self.data_sources) - self._unrendered),
        )

    async def _render(self, item: ListedItem) -> Document | None:
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
                self._discovered.append(ListedItem(_edited(page), "page", page_id))
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
                self._discovered.append(ListedItem(_edited(data_source), "data_source", ds_id))
                self._unrendered.add(ds_id)
                before = set(self.pages)
                await self._rows(ds_id)
                for row_id in set(self.pages) - before:
                    if row_id not in self._planned:
                        self._planned.add(row_id)
                        self._discovered.append(
                            ListedItem(_edited(self.pages[row_id]), "page", row_id)
                        )
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


def normalize_id(value: str) -> str:
    """A Notion id as given in a URL or with dashes, as a bare 32-character hex string."""
    tail = value.rstrip("/").rsplit("/", 1)[-1].rsplit("-", 1)[-1] if "/" in value else value
    return tail.replace("-", "").lower()
