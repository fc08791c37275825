"""`sourcesync search` asks a running serve, with every option, before loading anything."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from sourcesync.cli import app as cli_app

HIT = {
    "title": "src/retry.py",
    "location": "src/retry.py",
    "score": 0.09,
    "snippet": "def retry_after(response): ...",
    "source": "app",
    "document_id": "git:file:app:src/retry.py",
    "lines": "3-9",
}


TOKEN = "ssk_cli-search-test"


class FakeServe(BaseHTTPRequestHandler):
    queries: list[dict[str, list[str]]] = []
    hits: list[dict[str, object]] = [HIT]

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.send_response(401)
            self.end_headers()
            return
        FakeServe.queries.append(parse_qs(url.query))
        unknown = url.path == "/api/search" and "nope" in url.query
        body = json.dumps(
            {"detail": "no source named 'nope'"} if unknown else FakeServe.hits
        ).encode()
        self.send_response(404 if unknown else 200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def serve_port(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeServe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    monkeypatch.setenv("SOURCESYNC_API_PORT", str(port))
    monkeypatch.setenv("SOURCESYNC_HOME", str(tmp_path))
    (tmp_path / "api-token").write_text(TOKEN + "\n")  # type: ignore[operator]
    FakeServe.queries.clear()
    yield port
    server.shutdown()
    FakeServe.hits = [HIT]


def test_search_asks_the_running_serve(serve_port: int) -> None:
    result = CliRunner().invoke(
        cli_app,
        [
            "search",
            "retry after",
            "-k",
            "3",
            "--type",
            "git",
            "--path",
            "src/**",
            "--mode",
            "keyword",
        ],
    )

    assert result.exit_code == 0, result.output
    assert "src/retry.py" in result.stdout and "lines 3-9" in result.stdout
    [query] = FakeServe.queries
    assert query == {
        "q": ["retry after"],
        "k": ["3"],
        "type": ["git"],
        "path": ["src/**"],
        "mode": ["keyword"],
    }


def test_an_unknown_source_is_reported_by_the_serve(serve_port: int) -> None:
    result = CliRunner().invoke(cli_app, ["search", "x", "--source", "nope"])

    assert result.exit_code == 2
    assert "no source named 'nope'" in result.output


def test_a_bad_mode_is_refused() -> None:
    result = CliRunner().invoke(cli_app, ["search", "x", "--mode", "fuzzy"])

    assert result.exit_code == 2 and "--mode" in result.output


def test_hits_print_as_text_with_the_snippet_s_lines_and_indentation(serve_port: int) -> None:
    snippet = "for i in range(n):\n    items[i] = [bold]x[/bold]"
    FakeServe.hits = [{**HIT, "title": "[red]notes[/red]", "snippet": snippet, "lines": "4-5"}]

    result = CliRunner().invoke(cli_app, ["search", "items"])

    assert result.exit_code == 0, result.output
    assert "1. [red]notes[/red]" in result.stdout
    assert "   for i in range(n):\n       items[i] = [bold]x[/bold]\n" in result.stdout
