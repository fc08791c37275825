"""Notion: pages (database rows included) and data sources, with their block trees kept as
Markdown structure, their place in the workspace, and their permissions, as documents.

`NotionSource` lists and renders (full and incremental, with removals), `NotionClient`
speaks to Notion's API (version 2025-09-03) through ``notion-client`` under a rate limit
shared by every sync of the same integration, and `spec` is what the core reads.
"""

from .client import NotionClient
from .errors import NotionAPIError, NotionNotFoundError, WebhookRejectedError
from .ids import notion_data_source_id, notion_page_id
from .markdown import render_blocks, rich_text
from .settings import DEFAULT_TOKEN_ENV, NOTION_API_URL, NOTION_VERSION, NotionSettings
from .source import NotionCursor, NotionSource

__all__ = [
    "DEFAULT_TOKEN_ENV",
    "NOTION_API_URL",
    "NOTION_VERSION",
    "NotionAPIError",
    "NotionClient",
    "NotionCursor",
    "NotionNotFoundError",
    "NotionSettings",
    "NotionSource",
    "WebhookRejectedError",
    "notion_data_source_id",
    "notion_page_id",
    "render_blocks",
    "rich_text",
]
