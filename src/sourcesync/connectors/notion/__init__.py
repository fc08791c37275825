"""Notion: pages (database rows included) and data sources, with their block trees kept as
Markdown structure, their place in the workspace, and their permissions, as documents.

`NotionSource` lists and renders (full and incremental, with removals), `NotionClient`
speaks to Notion's API (version 2025-09-03) through ``notion-client`` under a rate limit
shared by every sync of the same integration, and `spec` is what the core reads.

The package imports nothing: the core reads `spec` (through the registry) and loads the
clients only when it opens a source, so commands that open none start fast.
"""
