"""Reading RSS 2.0 and Atom documents into entries (standard library XML only)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from xml.etree import ElementTree

ATOM = "{http://www.w3.org/2005/Atom}"
_TAG = re.compile(r"<[^>]+>")


class FeedFormatError(ValueError):
    """The body is neither an RSS 2.0 nor an Atom feed."""


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    link: str | None
    updated: datetime
    author: str | None
    text: str


@dataclass(frozen=True)
class Feed:
    title: str
    entries: list[Entry]


def _text(html: str | None) -> str:
    """Entry bodies are often HTML: keep the words."""
    return " ".join(_TAG.sub(" ", html or "").split())


def _rss_time(value: str | None) -> datetime:
    if not value:
        return datetime.fromtimestamp(0, UTC)
    moment = parsedate_to_datetime(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _atom_time(value: str | None) -> datetime:
    if not value:
        return datetime.fromtimestamp(0, UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def parse_feed(body: bytes) -> Feed:
    """The feed's title and entries; ``FeedFormatError`` when it is not a feed."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise FeedFormatError(f"not XML: {exc}") from exc
    if root.tag == "rss":
        channel = root.find("channel")
        if channel is None:
            raise FeedFormatError("an RSS feed without a channel")
        return Feed(
            title=channel.findtext("title") or "",
            entries=[
                Entry(
                    id=item.findtext("guid")
                    or item.findtext("link")
                    or item.findtext("title")
                    or "",
                    title=item.findtext("title") or "(untitled)",
                    link=item.findtext("link"),
                    updated=_rss_time(item.findtext("pubDate")),
                    author=item.findtext("author"),
                    text=_text(item.findtext("description")),
                )
                for item in channel.iter("item")
            ],
        )
    if root.tag == f"{ATOM}feed":
        entries = []
        for entry in root.iter(f"{ATOM}entry"):
            link = entry.find(f"{ATOM}link")
            body_text = entry.findtext(f"{ATOM}content") or entry.findtext(f"{ATOM}summary")
            entries.append(
                Entry(
                    id=entry.findtext(f"{ATOM}id") or "",
                    title=entry.findtext(f"{ATOM}title") or "(untitled)",
                    link=link.get("href") if link is not None else None,
                    updated=_atom_time(entry.findtext(f"{ATOM}updated")),
                    author=entry.findtext(f"{ATOM}author/{ATOM}name"),
                    text=_text(body_text),
                )
            )
        return Feed(title=root.findtext(f"{ATOM}title") or "", entries=entries)
    raise FeedFormatError(f"neither RSS nor Atom (root element {root.tag!r})")
