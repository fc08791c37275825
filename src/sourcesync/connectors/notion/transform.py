"""Notion pages and data sources as `Document`s: Markdown for people and embeddings, the
page's place in the workspace and its permissions in metadata."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import JsonValue

from sourcesync.documents import Document

from .ids import notion_data_source_id, notion_page_id
from .markdown import notion_url, render_blocks, rich_text
from .properties import page_title, people_names, property_lines, schema_lines

__all__ = ["Crumb", "data_source_document", "data_source_title", "page_document"]

JSON = Mapping[str, Any]
BREADCRUMB_SEPARATOR = " / "


@dataclass(frozen=True)
class Crumb:
    """One ancestor of a page: what it is, its id and its title."""

    kind: str
    """``page``, ``database``, ``data_source`` or ``workspace``."""
    id: str
    title: str

    def to_json(self) -> dict[str, JsonValue]:
        return {"kind": self.kind, "id": self.id, "title": self.title}


def data_source_title(data_source: JSON) -> str:
    return rich_text(data_source.get("title")).strip() or "Untitled"


def page_document(
    page: JSON,
    blocks: Sequence[JSON],
    *,
    ancestors: Sequence[Crumb],
    titles: Mapping[str, str],
    integration: str,
    workspace_id: str,
    source_id: str,
) -> Document:
    """One document per page: title, breadcrumb, properties, then the block tree."""
    title = page_title(page)
    trail = _trail(ancestors)
    facts = property_lines(page, titles)
    sections = [f"# {title}"]
    if trail:
        sections.append("In: " + BREADCRUMB_SEPARATOR.join(trail))
    if facts:
        sections.append("\n".join(facts))
    body = render_blocks(blocks).strip()
    if body:
        sections.append(body)
    database = next((c for c in reversed(ancestors) if c.kind == "database"), None)
    data_source = next((c for c in reversed(ancestors) if c.kind == "data_source"), None)
    people = {
        name: people_names(prop.get("people"))
        for name, prop in sorted((page.get("properties") or {}).items())
        if isinstance(prop, Mapping) and prop.get("type") == "people" and prop.get("people")
    }
    public_url = page.get("public_url")
    metadata: dict[str, JsonValue] = {
        "kind": "page",
        "notion_id": str(page["id"]),
        "breadcrumb": [crumb.to_json() for crumb in ancestors],
        "database": database.to_json() if database else None,
        "data_source": data_source.to_json() if data_source else None,
        "created_time": page.get("created_time"),
        "last_edited_time": page.get("last_edited_time"),
        "created_by": _user(page.get("created_by")),
        "last_edited_by": _user(page.get("last_edited_by")),
        "permissions": {
            "public": bool(public_url),
            "public_url": public_url,
            "integration": integration,
            "people": {name: list(names) for name, names in people.items()},
        },
    }
    return Document(
        id=notion_page_id(str(page["id"])),
        workspace_id=workspace_id,
        source_id=source_id,
        source_type="notion",
        title=title,
        url=str(page.get("url") or notion_url(str(page["id"]))),
        path=BREADCRUMB_SEPARATOR.join([*trail, title]),
        content="\n\n".join(sections) + "\n",
        metadata=metadata,
    )


def data_source_document(
    data_source: JSON,
    *,
    ancestors: Sequence[Crumb],
    titles: Mapping[str, str],
    integration: str,
    workspace_id: str,
    source_id: str,
) -> Document:
    """One document per data source: what it is called, where it lives, its properties."""
    title = data_source_title(data_source)
    trail = _trail(ancestors)
    sections = [f"# {title} (database)"]
    if trail:
        sections.append("In: " + BREADCRUMB_SEPARATOR.join(trail))
    description = rich_text(data_source.get("description")).strip()
    if description:
        sections.append(description)
    sections.append(
        "Properties:\n" + "\n".join(schema_lines(data_source.get("properties") or {}, titles))
    )
    database_id = str((data_source.get("parent") or {}).get("database_id") or "")
    metadata: dict[str, JsonValue] = {
        "kind": "data_source",
        "notion_id": str(data_source["id"]),
        "database_id": database_id or None,
        "breadcrumb": [crumb.to_json() for crumb in ancestors],
        "properties": {
            name: str(prop.get("type"))
            for name, prop in sorted((data_source.get("properties") or {}).items())
        },
        "created_time": data_source.get("created_time"),
        "last_edited_time": data_source.get("last_edited_time"),
        "created_by": _user(data_source.get("created_by")),
        "last_edited_by": _user(data_source.get("last_edited_by")),
        "permissions": {"integration": integration},
    }
    return Document(
        id=notion_data_source_id(str(data_source["id"])),
        workspace_id=workspace_id,
        source_id=source_id,
        source_type="notion",
        title=title,
        url=str(data_source.get("url") or notion_url(database_id or str(data_source["id"]))),
        path=BREADCRUMB_SEPARATOR.join([*trail, title]),
        content="\n\n".join(sections) + "\n",
        metadata=metadata,
    )


def _user(user: JSON | None) -> dict[str, JsonValue] | None:
    if not user:
        return None
    return {"id": str(user.get("id", "")), "name": people_names([user])[0]}


def _trail(ancestors: Sequence[Crumb]) -> list[str]:
    """The ancestors' titles; a database and its data source usually share a name, which
    is then said once."""
    trail: list[str] = []
    for crumb in ancestors:
        if not trail or trail[-1] != crumb.title:
            trail.append(crumb.title)
    return trail
