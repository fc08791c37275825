"""Names of Notion documents (``Document.id``), as in the original design."""

from __future__ import annotations

from sourcesync.documents import readable_id

__all__ = ["notion_data_source_id", "notion_page_id"]


def notion_page_id(page_id: str) -> str:
    """`notion:page:{id}` (a database row is a page too)."""
    return readable_id("notion", "page", page_id)


def notion_data_source_id(data_source_id: str) -> str:
    """`notion:data_source:{id}`: a data source's schema."""
    return readable_id("notion", "data_source", data_source_id)
