"""A loopback Notion: the REST API of version 2025-09-03 over real HTTP, on in-memory data.

What it implements is what the connector relies on, in Notion's shapes (see
tests/fixtures/notion/): ``users/me``; ``search`` filtered to pages or data sources, newest
edit first; ``pages``, ``blocks`` (and their children), ``databases`` (which list their data
sources) and ``data_sources`` (and their ``query``, with the ``last_edited_time`` timestamp
filter and sort). Every list pages with ``start_cursor``/``next_cursor``/``has_more`` at
``page_size`` ≤ 100. Auth is ``Authorization: Bearer <token>`` and ``Notion-Version:
2025-09-03``; failures answer Notion's error objects (401 ``unauthorized``, 404
``object_not_found``, 429 ``rate_limited`` with ``Retry-After``, 5xx). Pages in the trash
keep answering ``pages/{id}`` with ``in_trash: true`` but leave search and queries; a
revoked page (the integration lost access) and everything under it answer 404.

Time only moves when `tick` is called, so tests never depend on the wall clock.
"""

from __future__ import annotations

import functools
import json
import threading
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

VERSION = "2025-09-03"
MAX_PAGE_SIZE = 100
USER = {"object": "user", "id": "2200a911-6a96-44bb-bd38-6bfb1e01b9f6"}
PERSON = {
    **USER,
    "name": "Ada Keeper",
    "avatar_url": None,
    "type": "person",
    "person": {"email": "ada@example.com"},
}

Obj = dict[str, Any]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def rich(
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    code: bool = False,
    href: str | None = None,
) -> Obj:
    """One rich-text item, as Notion returns it."""
    return {
        "type": "text",
        "text": {"content": text, "link": {"url": href} if href else None},
        "annotations": {
            "bold": bold,
            "italic": italic,
            "strikethrough": False,
            "underline": False,
            "code": code,
            "color": "default",
        },
        "plain_text": text,
        "href": href,
    }


def block(kind: str, text: str | None = None, children: Iterable[Obj] = (), **data: Any) -> Obj:
    """A block to add (``children`` are added under it)."""
    payload = dict(data)
    if text is not None:
        payload["rich_text"] = [rich(text)]
    return {"type": kind, kind: payload, "children": list(children)}


def paragraph(text: str) -> Obj:
    return block("paragraph", text, color="default")


def toggle(text: str, children: Iterable[Obj]) -> Obj:
    return block("toggle", text, children, color="default")


def columns(*contents: Iterable[Obj]) -> Obj:
    return block("column_list", None, [block("column", None, c) for c in contents])


def table(rows: list[list[str]], *, header: bool = True) -> Obj:
    return block(
        "table",
        None,
        [block("table_row", None, cells=[[rich(cell)] for cell in row]) for row in rows],
        table_width=len(rows[0]),
        has_column_header=header,
        has_row_header=False,
    )


def _error(status: int, code: str, message: str) -> Obj:
    return {
        "object": "error",
        "status": status,
        "code": code,
        "message": message,
        "request_id": str(uuid.uuid4()),
    }


def _key(object_id: str) -> str:
    return object_id.replace("-", "").lower()


@dataclass
class FakeNotion:
    """Run with ``with FakeNotion() as notion:``; aim the connector at ``notion.url``."""

    token: str = "ntn_fake_integration_secret"
    clock: datetime = datetime(2025, 9, 10, 8, 0, tzinfo=UTC)
    objects: dict[str, Obj] = field(default_factory=dict)
    """Pages, blocks, databases and data sources by id without dashes."""
    children: dict[str, list[str]] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    unindexed: set[str] = field(default_factory=set)
    """Ids (without dashes) that search does not show yet, as Notion's index lags."""
    missing_blocks: set[str] = field(default_factory=set)
    """Pages (without dashes) whose blocks answer 404 though search lists them: access
    lost between a listing and the read of the blocks."""
    """Ids (without dashes) that search does not show yet, as Notion's index lags."""
    requests: list[tuple[str, str]] = field(default_factory=list)
    failures: deque[tuple[int, str, dict[str, str]]] = field(default_factory=deque)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # -- server -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Self:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def fail_next(self, status: int = 429, times: int = 1, retry_after: str = "0") -> None:
        """Answer the next ``times`` requests with ``status`` (429 says ``Retry-After``)."""
        code = {
            429: "rate_limited",
            500: "internal_server_error",
            503: "service_unavailable",
            502: "bad_gateway",
        }.get(status, "internal_server_error")
        headers = {"Retry-After": retry_after} if status == 429 else {}
        for _ in range(times):
            self.failures.append((status, code, headers))

    def tick(self, delta: timedelta = timedelta(minutes=1)) -> None:
        self.clock += delta

    # -- building the workspace -----------------------------------------------------------

    def _stamp(self) -> Obj:
        now = iso(self.clock)
        return {
            "created_time": now,
            "last_edited_time": now,
            "created_by": USER,
            "last_edited_by": USER,
        }

    def add_page(
        self,
        title: str,
        parent: str | None = None,
        *,
        blocks: Iterable[Obj] = (),
        properties: Obj | None = None,
        public: bool = False,
    ) -> str:
        """A page under the workspace, a page, a block (a column) or a data source."""
        page_id = str(uuid.uuid4())
        with self._lock:
            if parent is None:
                parent_ref: Obj = {"type": "workspace", "workspace": True}
            else:
                container = self.objects[_key(parent)]
                if container["object"] == "data_source":
                    parent_ref = {
                        "type": "data_source_id",
                        "data_source_id": container["id"],
                        "database_id": container["parent"]["database_id"],
                    }
                elif container["object"] == "page":
                    parent_ref = {"type": "page_id", "page_id": container["id"]}
                else:
                    parent_ref = {"type": "block_id", "block_id": container["id"]}
            props = {"title": {"id": "title", "type": "title", "title": [rich(title)]}}
            if properties is not None:
                title_name = (
                    next(
                        (
                            n
                            for n, p in self.objects[_key(parent or "")]["properties"].items()
                            if p["type"] == "title"
                        ),
                        "Name",
                    )
                    if parent
                    else "title"
                )
                props = {
                    title_name: {"id": "title", "type": "title", "title": [rich(title)]},
                    **properties,
                }
            slug = "-".join(title.split()) or "Untitled"
            self.objects[_key(page_id)] = {
                "object": "page",
                "id": page_id,
                **self._stamp(),
                "cover": None,
                "icon": None,
                "parent": parent_ref,
                "archived": False,
                "in_trash": False,
                "is_locked": False,
                "properties": props,
                "url": f"https://www.notion.so/{slug}-{_key(page_id)}",
                "public_url": f"https://lighthouse.notion.site/{slug}-{_key(page_id)}"
                if public
                else None,
            }
            self.children[_key(page_id)] = []
            if parent is not None and parent_ref["type"] != "data_source_id":
                self._append(
                    parent,
                    {"type": "child_page", "child_page": {"title": title}},
                    object_id=page_id,
                )
            for spec in blocks:
                self.add_block(page_id, spec)
        return page_id

    def add_database(self, title: str, parent: str, properties: Obj) -> tuple[str, str]:
        """A database with one data source under page ``parent``; returns both ids.
        ``properties`` is the schema ({name: {"type": ..., type: config}})."""
        database_id, source_id = str(uuid.uuid4()), str(uuid.uuid4())
        with self._lock:
            schema = {"Name": {"type": "title", "title": {}}, **properties}
            schema = {
                name: {"id": f"p{n}", "name": name, **prop}
                for n, (name, prop) in enumerate(schema.items())
            }
            parent_ref = {"type": "page_id", "page_id": self.objects[_key(parent)]["id"]}
            self.objects[_key(database_id)] = {
                "object": "database",
                "id": database_id,
                **self._stamp(),
                "title": [rich(title)],
                "description": [],
                "parent": parent_ref,
                "is_inline": False,
                "in_trash": False,
                "is_locked": False,
                "data_sources": [{"id": source_id, "name": title}],
                "url": f"https://www.notion.so/{_key(database_id)}",
                "public_url": None,
                "icon": None,
                "cover": None,
            }
            self.objects[_key(source_id)] = {
                "object": "data_source",
                "id": source_id,
                **self._stamp(),
                "title": [rich(title)],
                "description": [],
                "parent": {"type": "database_id", "database_id": database_id},
                "database_parent": parent_ref,
                "properties": schema,
                "archived": False,
                "in_trash": False,
                "is_inline": False,
                "url": f"https://www.notion.so/{_key(database_id)}",
                "public_url": None,
                "icon": None,
                "cover": None,
            }
            self.children[_key(database_id)] = []
            self._append(
                parent,
                {"type": "child_database", "child_database": {"title": title}},
                object_id=database_id,
            )
        return database_id, source_id

    def add_block(self, parent: str, spec: Obj) -> str:
        spec = dict(spec)
        nested = spec.pop("children", [])
        block_id = self._append(parent, spec)
        for child in nested:
            self.add_block(block_id, child)
        return block_id

    def _append(self, parent: str, spec: Obj, object_id: str | None = None) -> str:
        block_id = object_id or str(uuid.uuid4())
        container = self.objects[_key(parent)]
        kind = "page_id" if container["object"] == "page" else "block_id"
        self.objects.setdefault(_key(block_id), {})
        entry = {
            "object": "block",
            "id": block_id,
            "parent": {"type": kind, kind: container["id"]},
            **self._stamp(),
            "has_children": False,
            "archived": False,
            "in_trash": False,
            **spec,
        }
        if object_id is None:
            self.objects[_key(block_id)] = entry
            self.children.setdefault(_key(block_id), [])
        else:
            # A child page or database: its block shares its id; keep both views.
            self.objects[_key(block_id) + ":block"] = entry
        self.children.setdefault(_key(parent), []).append(_key(block_id))
        if container["object"] == "block":
            container["has_children"] = True
        return block_id

    # -- changing it ------------------------------------------------------------------------

    def _page_of(self, object_id: str) -> Obj | None:
        obj = self.objects.get(_key(object_id))
        while obj is not None and obj["object"] == "block":
            parent = obj["parent"]
            obj = self.objects.get(_key(parent[parent["type"]]))
        return obj

    def touch(self, object_id: str) -> None:
        """Mark the page holding ``object_id`` (a page or one of its blocks) edited now."""
        page = self._page_of(object_id)
        assert page is not None
        page["last_edited_time"] = iso(self.clock)
        page["last_edited_by"] = USER

    def append_paragraph(self, page_id: str, text: str) -> None:
        with self._lock:
            self.add_block(page_id, paragraph(text))
            self.touch(page_id)

    def rename(self, page_id: str, title: str) -> None:
        with self._lock:
            page = self.objects[_key(page_id)]
            for prop in page["properties"].values():
                if prop["type"] == "title":
                    prop["title"] = [rich(title)]
            self.touch(page_id)

    def trash(self, object_id: str) -> None:
        with self._lock:
            obj = self.objects[_key(object_id)]
            obj["in_trash"] = True
            obj["archived"] = True
            obj["last_edited_time"] = iso(self.clock)

    def revoke(self, object_id: str) -> None:
        """The integration loses access to ``object_id`` and everything under it."""
        with self._lock:
            self.revoked.add(_key(object_id))

    # -- reading, as the API does ----------------------------------------------------------

    def _parent_key(self, obj: Obj) -> str | None:
        parent = obj.get("parent") or {}
        kind = parent.get("type")
        if kind in ("page_id", "block_id", "database_id", "data_source_id"):
            return _key(parent[kind])
        return None

    def _chain(self, obj: Obj) -> Iterable[Obj]:
        seen = 0
        current: Obj | None = obj
        while current is not None and seen < 100:
            yield current
            parent = self._parent_key(current)
            current = self.objects.get(parent) if parent else None
            seen += 1

    def visible(self, obj: Obj) -> bool:
        return not any(_key(o["id"]) in self.revoked for o in self._chain(obj))

    def trashed(self, obj: Obj) -> bool:
        return any(o.get("in_trash") for o in self._chain(obj))

    def get(self, object_id: str, kind: str) -> Obj | None:
        obj = self.objects.get(_key(object_id))
        if obj is not None and obj["object"] != kind and kind == "block":
            obj = self.objects.get(_key(object_id) + ":block")
        if obj is None or obj.get("object") != kind or not self.visible(obj):
            return None
        return {**obj, "in_trash": self.trashed(obj), "archived": self.trashed(obj)}

    def listable(self, kind: str) -> list[Obj]:
        return [
            {**o}
            for key, o in self.objects.items()
            if o.get("object") == kind
            and ":" not in key
            and self.visible(o)
            and not self.trashed(o)
        ]


def _page(items: list[Obj], start: str | None, size: int, kind: str) -> Obj:
    keys = [i["id"] for i in items]
    begin = keys.index(start) if start in keys else 0
    chunk = items[begin : begin + size]
    more = begin + size < len(items)
    return {
        "object": "list",
        "results": chunk,
        "next_cursor": keys[begin + size] if more else None,
        "has_more": more,
        "type": kind,
        kind: {},
        "request_id": str(uuid.uuid4()),
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one write: with Nagle's algorithm on, a client that waits
    # for each answer (a plain loop) would pay a delayed ACK (40 ms) per request.
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024

    def __init__(self, fake: FakeNotion, *args: Any) -> None:
        self.fake = fake
        super().__init__(*args)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _send(self, status: int, body: Obj, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        fake = self.fake
        with fake._lock:
            fake.requests.append((method, parts.path))
            if fake.failures:
                status, code, headers = fake.failures.popleft()
                self._send(status, _error(status, code, f"fake {code}"), headers)
                return
        if self.headers.get("Authorization") != f"Bearer {fake.token}":
            self._send(401, _error(401, "unauthorized", "API token is invalid."))
            return
        if self.headers.get("Notion-Version") != VERSION:
            self._send(
                400,
                _error(400, "validation_error", f"Notion-Version must be {VERSION} for this fake."),
            )
            return
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        body = json.loads(raw) if raw else {}
        size = int(body.get("page_size") or query.get("page_size") or MAX_PAGE_SIZE)
        if size > MAX_PAGE_SIZE:
            self._send(400, _error(400, "validation_error", "page_size must be ≤ 100"))
            return
        start = body.get("start_cursor") or query.get("start_cursor")
        path = parts.path.removeprefix("/v1/").strip("/").split("/")
        with fake._lock:
            status, answer = self._route(method, path, body, size, start)
        self._send(status, answer)

    def _route(
        self, method: str, path: list[str], body: Obj, size: int, start: str | None
    ) -> tuple[int, Obj]:
        fake = self.fake
        not_found = (
            404,
            _error(
                404,
                "object_not_found",
                f"Could not find object with ID: {path[-1]}. Make sure the "
                "relevant pages and databases are shared with your integration.",
            ),
        )
        if method == "GET" and path == ["users", "me"]:
            return 200, {
                "object": "user",
                "id": "7f4e0e33-0000-4000-8000-00000000b07",
                "name": "Sourcesync",
                "avatar_url": None,
                "type": "bot",
                "bot": {
                    "owner": {"type": "workspace", "workspace": True},
                    "workspace_name": "Lighthouse",
                },
                "request_id": str(uuid.uuid4()),
            }
        if method == "POST" and path == ["search"]:
            value = (body.get("filter") or {}).get("value")
            if value not in ("page", "data_source"):
                return 400, _error(
                    400, "validation_error", 'body.filter.value should be "page" or "data_source"'
                )
            found = [o for o in fake.listable(value) if _key(o["id"]) not in fake.unindexed]
            descending = (body.get("sort") or {}).get("direction", "descending") == "descending"
            found.sort(key=lambda o: (o["last_edited_time"], o["id"]), reverse=descending)
            return 200, _page(found, start, size, "page_or_data_source")
        if (
            len(path) == 2
            and method == "GET"
            and path[0] in ("pages", "databases", "data_sources", "blocks")
        ):
            kind = {
                "pages": "page",
                "databases": "database",
                "data_sources": "data_source",
                "blocks": "block",
            }[path[0]]
            obj = fake.get(path[1], kind)
            return (200, obj) if obj is not None else not_found
        if method == "GET" and len(path) == 3 and path[0] == "blocks" and path[2] == "children":
            owner = fake.get(path[1], "page") or fake.get(path[1], "block")
            if owner is None or _key(path[1]) in fake.missing_blocks:
                return not_found
            kids = [
                fake.objects.get(k) or fake.objects[k + ":block"]
                for k in fake.children.get(_key(path[1]), [])
            ]
            views = [
                fake.objects.get(_key(k["id"]) + ":block", k)
                for k in kids
                if not (k["object"] in ("page", "database") and fake.trashed(k))
            ]
            return 200, _page([{**v} for v in views], start, size, "block")
        if method == "POST" and len(path) == 3 and path[0] == "data_sources" and path[2] == "query":
            source = fake.get(path[1], "data_source")
            if source is None:
                return not_found
            rows = [
                p
                for p in fake.listable("page")
                if (p["parent"].get("data_source_id") or "") == source["id"]
            ]
            condition = body.get("filter")
            if condition:
                if condition.get("timestamp") != "last_edited_time" or set(
                    condition.get("last_edited_time") or {}
                ) != {"on_or_after"}:
                    return 400, _error(400, "validation_error", f"unsupported filter {condition}")
                since = condition["last_edited_time"]["on_or_after"]
                rows = [
                    r
                    for r in rows
                    if datetime.fromisoformat(r["last_edited_time"])
                    >= datetime.fromisoformat(since)
                ]
            for sort in body.get("sorts") or []:
                rows.sort(
                    key=lambda r, s=sort: r[s["timestamp"]],
                    reverse=sort.get("direction") == "descending",
                )
            return 200, _page(rows, start, size, "page_or_data_source")
        return 400, _error(
            400, "invalid_request_url", f"no route for {method} /v1/{'/'.join(path)}"
        )


def add_synced_copy(fake: FakeNotion, page_id: str, original_id: str) -> str:
    """A duplicate synced block on ``page_id`` showing ``original_id``'s content."""
    with fake._lock:
        copy_id = fake.add_block(
            page_id,
            block("synced_block", None, synced_from={"type": "block_id", "block_id": original_id}),
        )
        fake.objects[_key(copy_id)]["has_children"] = True
        fake.children[_key(copy_id)] = []
        return copy_id


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "notion"
NEEDLE = "the brass astrolabe is stowed beneath the chart table"
"""Words that live only inside a toggle, in a column, in a database row's page."""


@dataclass
class Workspace:
    """The ids of the seeded workspace (`seed_workspace`)."""

    handbook: str
    duties: str
    night_shift: str
    mixed: str
    private: str
    voyages_database: str
    voyages: str
    ports_database: str
    ports: str
    rows: list[str]
    port_rows: list[str]
    needle_row: str

    @property
    def pages(self) -> list[str]:
        return [
            self.handbook,
            self.duties,
            self.night_shift,
            self.mixed,
            self.private,
            *self.rows,
            *self.port_rows,
        ]

    @property
    def data_sources(self) -> list[str]:
        return [self.voyages, self.ports]


def _fixture_blocks() -> list[Obj]:
    """The recorded mixed-block page's blocks, as blocks to add (children dropped)."""
    recorded = json.loads(
        (FIXTURES / "block-children-mixed-block-types-v2025-09-03.json").read_text()
    )
    blocks = []
    for entry in recorded["results"]:
        if entry["type"] in ("child_page", "child_database", "synced_block"):
            continue
        blocks.append({"type": entry["type"], entry["type"]: entry[entry["type"]], "children": []})
    return blocks


def seed_workspace(fake: FakeNotion, rows: int = 250) -> Workspace:
    """A small lighthouse's wiki: nested pages, blocks four levels deep, two databases
    (``rows`` voyages, which page past 100), a synced block, and the recorded block types."""
    handbook = fake.add_page(
        "Lighthouse handbook",
        blocks=[
            block("heading_1", "Keeping the light"),
            block(
                "paragraph",
                None,
                rich_text=[
                    rich("The lamp is "),
                    rich("trimmed", bold=True),
                    rich(" at dusk, see "),
                    rich("the log", href="https://example.com/log"),
                ],
            ),
            block(
                "bulleted_list_item",
                "Level one",
                [
                    block(
                        "bulleted_list_item",
                        "Level two",
                        [
                            block(
                                "bulleted_list_item",
                                "Level three",
                                [
                                    block("bulleted_list_item", "Level four: wind the clockwork"),
                                ],
                            ),
                        ],
                    ),
                ],
            ),
            block("to_do", "Polish the lens", checked=True),
            block(
                "code",
                None,
                rich_text=[rich("log_ship('Nautilus')")],
                language="python",
                caption=[],
            ),
            block(
                "callout", "Never leave the lamp unattended", icon={"type": "emoji", "emoji": "🔥"}
            ),
        ],
        public=True,
    )
    original = fake.add_block(
        handbook,
        block(
            "synced_block",
            None,
            [
                paragraph("Storm protocol: close the shutters and sound the horn."),
            ],
            synced_from=None,
        ),
    )
    duties = fake.add_page(
        "Keeper duties",
        handbook,
        blocks=[
            toggle("Morning", [paragraph("Record the barometer reading at six.")]),
        ],
    )
    add_synced_copy(fake, duties, original)
    night_shift = fake.add_page("Night shift", duties, blocks=[paragraph("Watch for fog banks.")])
    mixed = fake.add_page("Recorded blocks", handbook, blocks=_fixture_blocks())
    ports_database, ports = fake.add_database(
        "Ports",
        handbook,
        {
            "Country": {
                "type": "select",
                "select": {"options": [{"name": "Norway"}, {"name": "Chile"}]},
            },
        },
    )
    port_rows = [
        fake.add_page(
            name,
            ports,
            properties={"Country": {"id": "p1", "type": "select", "select": {"name": country}}},
        )
        for name, country in (("Bergen", "Norway"), ("Valparaíso", "Chile"), ("Tromsø", "Norway"))
    ]
    voyages_database, voyages = fake.add_database(
        "Voyages",
        handbook,
        {
            "Status": {
                "type": "status",
                "status": {"options": [{"name": "Planned"}, {"name": "Done"}]},
            },
            "Captain": {"type": "people", "people": {}},
            "Sailed": {"type": "date", "date": {}},
            "Port": {
                "type": "relation",
                "relation": {"data_source_id": ports, "database_id": ports_database},
            },
        },
    )
    voyage_ids = []
    for n in range(rows):
        fake.tick(timedelta(seconds=1))
        props = {
            "Status": {
                "id": "p1",
                "type": "status",
                "status": {"name": "Done" if n % 2 else "Planned"},
            },
            "Captain": {"id": "p2", "type": "people", "people": [PERSON]},
            "Sailed": {
                "id": "p3",
                "type": "date",
                "date": {"start": f"2025-0{1 + n % 9}-1{n % 10}", "end": None, "time_zone": None},
            },
            "Port": {
                "id": "p4",
                "type": "relation",
                "relation": [{"id": port_rows[n % 3]}],
                "has_more": False,
            },
        }
        voyage_ids.append(
            fake.add_page(
                f"Voyage {n}", voyages, properties=props, blocks=[paragraph(f"Log of voyage {n}.")]
            )
        )
    needle_row = voyage_ids[min(17, rows - 1)]
    fake.add_block(
        needle_row,
        columns(
            [paragraph("Cargo: lamp oil and wicks.")],
            [toggle("Instruments", [paragraph(NEEDLE.capitalize() + ".")])],
        ),
    )
    fake.add_block(needle_row, table([["Day", "Wind"], ["Mon", "NW 5"]]))
    fake.tick(timedelta(minutes=10))
    private = fake.add_page("Private notes", blocks=[paragraph("The spare key is under the mat.")])
    fake.tick(timedelta(minutes=10))
    return Workspace(
        handbook,
        duties,
        night_shift,
        mixed,
        private,
        voyages_database,
        voyages,
        ports_database,
        ports,
        voyage_ids,
        port_rows,
        needle_row,
    )
