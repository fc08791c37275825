"""`sourcesync serve` in a process of its own serves the dashboard on both ports, and
`sourcesync dashboard` signs a browser in with a one-time link."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.serve_process import Server


def test_serve_shows_the_dashboard_on_the_api_and_engine_ports(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    server = Server(tmp_path / "home")
    server.start()
    try:
        api = f"http://127.0.0.1:{server.port}"
        engine = f"http://127.0.0.1:{server.env['SOURCESYNC_ENGINE_PORT']}"
        for base in (api, engine):
            response = httpx.get(f"{base}/", timeout=10)
            assert response.status_code == 303
            assert response.headers["location"] == "/login?next=/"
        assert httpx.get(f"{api}/api/jobs", timeout=10).status_code == 401
        link = server.cli("dashboard", "--no-open", "--port", str(server.port)).stdout.strip()
        assert link.startswith(f"{api}/login/link?code=")
        with httpx.Client(follow_redirects=True, timeout=10) as browser:
            jobs = browser.get(link)
            assert jobs.status_code == 200 and "<h1>Jobs</h1>" in jobs.text
            # One session for the host: the engine's port accepts the same cookie.
            functions = browser.get(f"{engine}/functions")
            assert "sourcesync-sync-orchestrator" in functions.text
    finally:
        server.stop()
    assert "sourcesync dashboard" in (tmp_path / "home" / "serve.log").read_text()
