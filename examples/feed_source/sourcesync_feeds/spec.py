"""The feed source: its configuration, its connector and its spec."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import httpx

from sourcesync.connectors.cursors import UpdatedAtCursor
from sourcesync.connectors.document_source import DocumentBatch
from sourcesync.connectors.errors import SourceConfigError, SourceUnavailableError
from sourcesync.connectors.spec import (
    SourceConfig,
    SourceContext,
    SourceCursor,
    SourceSpec,
    argument,
)
from sourcesync.documents import Document, readable_id

from .parse import Entry, Feed, FeedFormatError, parse_feed


def entry_name(entry_id: str) -> str:
    """``feed:entry:{hash}``: entry ids are URLs or URNs, too long and odd for an id part."""
    return readable_id("feed", "entry", hashlib.sha256(entry_id.encode()).hexdigest()[:16])


class FeedConfig(SourceConfig):
    url: str = argument("URL of an RSS 2.0 or Atom feed.")


class FeedSource:
    """One feed; every entry updated after the cursor is a changed document."""

    def __init__(self, config: FeedConfig, context: SourceContext) -> None:
        self.url = config.url
        self.context = context
        self.client = httpx.Client(timeout=30, follow_redirects=True)

    def _feed(self) -> Feed:
        try:
            response = self.client.get(self.url)
        except httpx.HTTPError as exc:
            raise SourceUnavailableError(f"cannot reach {self.url}: {exc}") from exc
        if response.status_code == 404:
            raise SourceConfigError(f"{self.url} does not exist (404): check the feed's URL")
        if response.status_code in (429, 503) or response.status_code >= 500:
            raise SourceUnavailableError(f"{self.url} answered {response.status_code}")
        if response.status_code >= 400:
            raise SourceConfigError(f"{self.url} refused the request ({response.status_code})")
        try:
            return parse_feed(response.content)
        except FeedFormatError as exc:
            raise SourceConfigError(f"{self.url} is not a feed: {exc}") from exc

    def validate(self) -> str:
        feed = self._feed()
        return f"{feed.title or self.url} ({len(feed.entries)} entries)"

    def changes(self, cursor: SourceCursor | None) -> Iterator[DocumentBatch]:
        since = cursor.updated_at if isinstance(cursor, UpdatedAtCursor) else None
        feed = self._feed()
        entries = sorted(
            (e for e in feed.entries if since is None or e.updated > since),
            key=lambda e: e.updated,
        )
        if entries:
            yield DocumentBatch(
                documents=[self._document(feed, entry) for entry in entries],
                cursor=UpdatedAtCursor(updated_at=entries[-1].updated),
            )

    def live_ids(self) -> set[str] | None:
        """A feed lists only its latest entries: older ones are not gone, so none is pruned."""
        return None

    def close(self) -> None:
        self.client.close()

    def _document(self, feed: Feed, entry: Entry) -> Document:
        return Document(
            id=entry_name(entry.id),
            workspace_id=self.context.workspace_id,
            source_id=self.context.source_id,
            source_type="feed",
            title=entry.title,
            url=entry.link,
            content=f"# {entry.title}\n\n{entry.text}",
            metadata={
                "feed": feed.title,
                "entry_id": entry.id,
                "author": entry.author,
                "updated": entry.updated.isoformat(),
            },
        )


spec = SourceSpec(
    type="feed",
    description="An RSS 2.0 or Atom feed: each entry is a document (an example source).",
    config=FeedConfig,
    cursor=UpdatedAtCursor,
    location=lambda config: config.url,
    default_name=lambda config: httpx.URL(config.url).host or "feed",
    open_documents=FeedSource,
)
