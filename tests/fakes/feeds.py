"""A loopback web server serving one Atom feed whose entries a test edits."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from xml.sax.saxutils import escape

FEED_PATH = "/feed.xml"


@dataclass
class FeedEntry:
    id: str
    title: str
    text: str
    updated: datetime


@dataclass
class FakeFeed:
    """Run with ``with FakeFeed() as feed:``; the feed is at ``feed.url``."""

    title: str = "Lighthouse log"
    entries: list[FeedEntry] = field(default_factory=list)
    clock: datetime = field(default_factory=lambda: datetime(2026, 11, 1, tzinfo=UTC))
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}{FEED_PATH}"

    def add(self, entry_id: str, title: str, text: str) -> FeedEntry:
        self.clock += timedelta(minutes=1)
        entry = FeedEntry(entry_id, title, text, self.clock)
        self.entries.append(entry)
        return entry

    def edit(self, entry_id: str, text: str) -> None:
        self.clock += timedelta(minutes=1)
        [entry] = [e for e in self.entries if e.id == entry_id]
        entry.text, entry.updated = text, self.clock

    def atom(self) -> bytes:
        items = "".join(
            f"<entry><id>{escape(e.id)}</id><title>{escape(e.title)}</title>"
            f'<link href="https://example.com/{escape(e.id)}"/>'
            f"<updated>{e.updated.isoformat()}</updated>"
            f"<author><name>Keeper</name></author>"
            f'<content type="html">{escape("<p>" + e.text + "</p>")}</content></entry>'
            for e in self.entries
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            f'<feed xmlns="http://www.w3.org/2005/Atom"><title>{escape(self.title)}</title>'
            f"{items}</feed>"
        ).encode()

    def __enter__(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                del format, args

            def do_GET(self) -> None:
                body = fake.atom() if self.path == FEED_PATH else b"not found"
                self.send_response(200 if self.path == FEED_PATH else 404)
                self.send_header("Content-Type", "application/atom+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
