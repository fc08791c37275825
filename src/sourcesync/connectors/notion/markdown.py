"""A Notion block tree as Markdown that keeps its structure.

Blocks arrive as Notion returns them, with their children (fetched separately, see
``blocks.py``) under the key ``children``. Headings, lists (nested by indentation), to-dos,
toggles, quotes, callouts, code, equations, tables, columns (in order), synced blocks,
media as links with captions, and child pages and databases as links to their own
documents. A block type this module does not know becomes a placeholder line, so nothing is
dropped without a trace.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = ["notion_url", "render_blocks", "rich_text"]

JSON = Mapping[str, Any]

_HEADINGS = {"heading_1": "#", "heading_2": "##", "heading_3": "###", "heading_4": "####"}
_MEDIA = ("image", "video", "audio", "file", "pdf")
_LINKS = ("bookmark", "embed", "link_preview")
_INDENT = "  "


def notion_url(object_id: str) -> str:
    """The notion.so address of a page or database."""
    return f"https://www.notion.so/{object_id.replace('-', '')}"


def rich_text(items: Iterable[JSON] | None) -> str:
    """Notion rich text as inline Markdown: bold, italic, strikethrough, code, links,
    inline equations; mentions as their plain text."""
    parts: list[str] = []
    for item in items or ():
        if item.get("type") == "equation":
            expression = (item.get("equation") or {}).get("expression", "")
            parts.append(f"${expression}$")
            continue
        text = str(item.get("plain_text") or (item.get("text") or {}).get("content") or "")
        if not text:
            continue
        annotations = item.get("annotations") or {}
        core = text.strip()
        if core:
            lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
            if annotations.get("code"):
                core = f"`{core}`"
            if annotations.get("bold"):
                core = f"**{core}**"
            if annotations.get("italic"):
                core = f"*{core}*"
            if annotations.get("strikethrough"):
                core = f"~~{core}~~"
            href = item.get("href")
            if href:
                core = f"[{core}]({href})"
            text = f"{lead}{core}{trail}"
        parts.append(text)
    return "".join(parts)


def render_blocks(blocks: Sequence[JSON]) -> str:
    """The Markdown of a page's top-level blocks (each with its ``children``)."""
    return "\n".join(_render_list(blocks, 0)).strip() + "\n"


def _render_list(blocks: Sequence[JSON], level: int) -> list[str]:
    lines: list[str] = []
    number = 0
    previous: str | None = None
    for block in blocks:
        kind = str(block.get("type", ""))
        number = number + 1 if kind == "numbered_list_item" else 0
        rendered = _render(block, kind, level, number)
        if not rendered:
            continue
        # List items of one list stay together; any other block is its own paragraph.
        if lines and not (kind == previous and kind.endswith(("list_item", "to_do"))):
            lines.append("")
        lines.extend(rendered)
        previous = kind
    return lines


def _children(block: JSON, level: int) -> list[str]:
    return _render_list(block.get("children") or [], level)


def _indented(lines: Iterable[str], prefix: str = _INDENT) -> list[str]:
    return [f"{prefix}{line}" if line else line for line in lines]


def _render(block: JSON, kind: str, level: int, number: int) -> list[str]:
    data: JSON = block.get(kind) or {}
    text = rich_text(data.get("rich_text"))
    if kind == "paragraph":
        return ([text] if text else []) + _indented(_children(block, level + 1))
    if kind in _HEADINGS:
        # A toggleable heading's children follow it as its section.
        nested = _children(block, level)
        return [f"{_HEADINGS[kind]} {text}", *(["", *nested] if nested else [])]
    if kind in ("bulleted_list_item", "numbered_list_item", "to_do"):
        if kind == "to_do":
            marker = "- [x]" if data.get("checked") else "- [ ]"
        else:
            marker = f"{number}." if kind == "numbered_list_item" else "-"
        return [f"{marker} {text}".rstrip(), *_indented(_children(block, level + 1))]
    if kind == "toggle":
        return [f"- ▸ {text}".rstrip(), *_indented(_children(block, level + 1))]
    if kind == "quote":
        return [f"> {line}".rstrip() for line in [text, *_children(block, level)]]
    if kind == "callout":
        icon = _icon(data.get("icon"))
        head = f"{icon} {text}".strip()
        return [f"> {line}".rstrip() for line in [head, *_children(block, level)]]
    if kind == "code":
        language = str(data.get("language") or "")
        language = "" if language == "plain text" else language
        code = "".join(str(i.get("plain_text", "")) for i in data.get("rich_text") or [])
        caption = rich_text(data.get("caption"))
        return [f"```{language}", *code.split("\n"), "```"] + ([caption] if caption else [])
    if kind == "equation":
        return ["$$", str(data.get("expression", "")), "$$"]
    if kind == "divider":
        return ["---"]
    if kind == "table":
        return _table(block, data)
    if kind == "column_list":
        lines: list[str] = []
        for column in block.get("children") or []:
            rendered = _children(column, level)
            if rendered:
                lines.extend([*([""] if lines else []), *rendered])
        return lines
    if kind in ("column", "synced_block", "template"):
        if kind == "synced_block" and not block.get("children") and data.get("synced_from"):
            return ["[synced block whose original the integration cannot see]"]
        return [*([text] if text else []), *_children(block, level)]
    if kind in _LINKS:
        url = str(data.get("url") or "")
        caption = rich_text(data.get("caption")) or url
        return [f"[{caption}]({url})"] if url else []
    if kind in _MEDIA:
        url = _file_url(data)
        caption = rich_text(data.get("caption")) or str(data.get("name") or "") or kind
        bang = "!" if kind == "image" else ""
        return [f"{bang}[{caption}]({url})"]
    if kind == "child_page":
        return [f"[📄 {data.get('title') or 'Untitled'}]({notion_url(str(block['id']))})"]
    if kind == "child_database":
        return [f"[🗃 {data.get('title') or 'Untitled'}]({notion_url(str(block['id']))})"]
    if kind == "link_to_page":
        target = data.get(str(data.get("type"))) or ""
        return [f"→ [linked page]({notion_url(str(target))})"] if target else []
    if kind == "table_of_contents":
        return ["[table of contents]"]
    if kind == "nesting_limit":
        return ["[content nested deeper than the connector reads]"]
    if kind == "breadcrumb":
        return ["[breadcrumb]"]
    label = f"[unsupported Notion block: {kind or 'unknown'}]"
    return [label, *_children(block, level)]


def _table(block: JSON, data: JSON) -> list[str]:
    rows = [
        [_cell(cell) for cell in (row.get("table_row") or {}).get("cells") or []]
        for row in block.get("children") or []
        if row.get("type") == "table_row"
    ]
    if not rows:
        return []
    width = max(int(data.get("table_width") or 0), *(len(row) for row in rows))
    rows = [row + [""] * (width - len(row)) for row in rows]
    header, body = (rows[0], rows[1:]) if data.get("has_column_header") else ([""] * width, rows)
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return lines


def _cell(cell: Sequence[JSON]) -> str:
    return rich_text(cell).replace("|", "\\|").replace("\n", "<br>")


def _icon(icon: JSON | None) -> str:
    if not icon:
        return ""
    if icon.get("type") == "emoji":
        return str(icon.get("emoji") or "")
    return ""


def _file_url(data: JSON) -> str:
    """External links as given; Notion-hosted files without their expiring signature, so
    the document (and its hash) does not change at every sync."""
    kind = data.get("type")
    target = data.get(str(kind)) or {}
    url = str(target.get("url") or "")
    if kind == "file" and url:
        parts = urlsplit(url)
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return url
