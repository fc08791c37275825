"""Page properties as readable ``name: value`` lines, and a data source's schema.

Every property type Notion returns is read: relations as the titles of the pages they point
to (``titles``, with the id when the page is unknown), rollups as their values, people as
names, dates as ISO. A type this module does not know is shown by its name, never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .markdown import rich_text

__all__ = ["page_title", "people_names", "property_lines", "property_value", "schema_lines"]

JSON = Mapping[str, Any]

_OPTIONS = ("select", "multi_select", "status")


def page_title(page: JSON) -> str:
    """The text of a page's ``title`` property ("Untitled" when empty)."""
    for prop in (page.get("properties") or {}).values():
        if isinstance(prop, Mapping) and prop.get("type") == "title":
            return rich_text(prop.get("title")).strip() or "Untitled"
    return "Untitled"


def people_names(users: Sequence[JSON] | None) -> list[str]:
    """User objects as names (a partial user, with only an id, as ``user {id}``)."""
    return [str(user.get("name") or f"user {user.get('id', '?')}") for user in users or ()]


def property_lines(page: JSON, titles: Mapping[str, str]) -> list[str]:
    """``name: value`` for each property with a value, the title first excepted."""
    lines: list[str] = []
    for name, prop in sorted((page.get("properties") or {}).items()):
        if not isinstance(prop, Mapping) or prop.get("type") == "title":
            continue
        value = property_value(prop, titles)
        if value:
            lines.append(f"{name}: {value}")
    return lines


def property_value(prop: JSON, titles: Mapping[str, str]) -> str:
    """One property's value as text; empty when it has none."""
    kind = str(prop.get("type", ""))
    value = prop.get(kind)
    if value is None:
        return ""
    if kind in ("title", "rich_text"):
        return rich_text(value).strip()
    if kind == "number":
        return _number(value)
    if kind in ("select", "status"):
        return str(value.get("name", ""))
    if kind == "multi_select":
        return ", ".join(str(option.get("name", "")) for option in value)
    if kind == "date":
        return _date(value)
    if kind in ("people",):
        return ", ".join(people_names(value))
    if kind in ("created_by", "last_edited_by"):
        return ", ".join(people_names([value]))
    if kind == "files":
        return ", ".join(str(item.get("name") or "file") for item in value)
    if kind == "checkbox":
        return "yes" if value else "no"
    if kind in ("url", "email", "phone_number", "created_time", "last_edited_time"):
        return str(value)
    if kind == "formula":
        return _scalar(value, titles)
    if kind == "relation":
        return ", ".join(titles.get(str(ref.get("id")), str(ref.get("id"))) for ref in value)
    if kind == "rollup":
        return _rollup(value, titles)
    if kind == "unique_id":
        prefix = value.get("prefix")
        return f"{prefix}-{value.get('number')}" if prefix else str(value.get("number", ""))
    if kind == "verification":
        state = str(value.get("state") or "")
        by = people_names([value["verified_by"]]) if value.get("verified_by") else []
        return f"{state} by {by[0]}" if by and state else state
    if kind == "button":
        return ""
    return f"[{kind}]"


def schema_lines(properties: JSON, titles: Mapping[str, str]) -> list[str]:
    """A data source's properties as ``- name (type)``, with options and relation targets."""
    lines: list[str] = []
    for name, prop in sorted(properties.items()):
        kind = str(prop.get("type", ""))
        detail = ""
        config = prop.get(kind) or {}
        if kind in _OPTIONS:
            names = [str(option.get("name", "")) for option in config.get("options") or []]
            detail = f": {', '.join(names)}" if names else ""
        elif kind == "relation":
            target = str(config.get("data_source_id") or config.get("database_id") or "")
            detail = f" to {titles.get(target, target)}" if target else ""
        elif kind == "rollup":
            detail = (
                f" of {config.get('relation_property_name')}.{config.get('rollup_property_name')}"
            )
        elif kind == "formula":
            detail = f": {config.get('expression', '')}" if config.get("expression") else ""
        lines.append(f"- {name} ({kind}{detail})")
    return lines


def _date(value: JSON) -> str:
    start, end = value.get("start"), value.get("end")
    if not start:
        return ""
    return f"{start} → {end}" if end else str(start)


def _scalar(value: JSON, titles: Mapping[str, str]) -> str:
    kind = str(value.get("type", ""))
    inner = value.get(kind)
    if inner is None:
        return ""
    if kind == "date":
        return _date(inner)
    if kind == "boolean":
        return "yes" if inner else "no"
    if kind == "number":
        return _number(inner)
    return str(inner)


def _rollup(value: JSON, titles: Mapping[str, str]) -> str:
    kind = str(value.get("type", ""))
    if kind == "array":
        items = [property_value(item, titles) for item in value.get("array") or []]
        return ", ".join(item for item in items if item)
    if kind in ("number", "date"):
        return _scalar(value, titles)
    return ""


def _number(value: float) -> str:
    """1 rather than 1.0, and every digit Notion gave otherwise."""
    return str(int(value)) if float(value).is_integer() else str(value)
