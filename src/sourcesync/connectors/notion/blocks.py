"""Fetching a page's block tree: children per block, recursively, with bounded concurrency.

Notion returns one level of children per request (100 at a time), so a page with nested
content costs one request per parent block; siblings are fetched concurrently, every
request of the sync under one semaphore (the rate limiter keeps the overall pace). Child
pages and child databases are documents of their own and are not descended into; a
duplicate synced block shows its original's children.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from .client import JSONObject, NotionClient
from .errors import NotionNotFoundError
from .pagination import collect

__all__ = ["BlockTree", "fetch_block_tree"]

_OWN_DOCUMENTS = frozenset({"child_page", "child_database"})


@dataclass
class BlockTree:
    """A page's blocks (each with its ``children``) and what it links to as documents."""

    blocks: list[JSONObject]
    child_pages: list[str] = field(default_factory=list)
    child_databases: list[str] = field(default_factory=list)


async def fetch_block_tree(
    client: NotionClient, page_id: str, semaphore: asyncio.Semaphore, max_depth: int
) -> BlockTree:
    """The whole block tree of ``page_id``, down to ``max_depth`` levels."""
    tree = BlockTree(blocks=[])

    async def children(block_id: str) -> list[JSONObject]:
        async def page_of(cursor: str | None) -> JSONObject:
            async with semaphore:
                return await client.block_children(block_id, cursor)

        return await collect(page_of)

    async def fill(block: JSONObject, depth: int) -> None:
        kind = str(block.get("type", ""))
        if kind == "child_page":
            tree.child_pages.append(str(block["id"]))
        elif kind == "child_database":
            tree.child_databases.append(str(block["id"]))
        if kind in _OWN_DOCUMENTS or not block.get("has_children"):
            return
        if depth >= max_depth:
            block["children"] = [{"type": "nesting_limit", "id": block["id"]}]
            return
        synced_from: dict[str, Any] = (block.get("synced_block") or {}).get("synced_from") or {}
        parent_id = str(synced_from.get("block_id") or block["id"])
        try:
            block["children"] = await children(parent_id)
        except NotionNotFoundError:
            if not synced_from:
                raise
            # The original lives on a page the integration cannot see.
            block["children"] = []
            return
        await asyncio.gather(*(fill(child, depth + 1) for child in block["children"]))

    tree.blocks = await children(page_id)
    await asyncio.gather(*(fill(block, 1) for block in tree.blocks))
    return tree
