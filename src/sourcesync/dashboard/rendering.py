"""Templates (autoescaped Jinja2, from the package), the filters they share, and the
headers every page carries: no caching, no framing, scripts and styles from this site only
(so nothing is fetched from elsewhere and no injected inline script runs)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .context import Viewer

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def when(value: datetime | int | None) -> str:
    """A moment in UTC, to the second (ints are milliseconds since the epoch)."""
    if value is None:
        return "—"
    moment = datetime.fromtimestamp(value / 1000, UTC) if isinstance(value, int) else value
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def duration(ms: int | float | None) -> str:
    """``350 ms``, ``4.2 s``, ``3 min 05 s``."""
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{int(ms)} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    minutes, seconds = divmod(int(ms // 1000), 60)
    return f"{minutes} min {seconds:02d} s"


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("sourcesync.dashboard", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters |= {"when": when, "duration": duration, "pretty_json": pretty_json}
    return environment


TEMPLATES = _environment()


def render(
    request: Request,
    viewer: Viewer | None,
    template: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """A page of the dashboard (its navigation knows the viewer and the current path)."""
    html = TEMPLATES.get_template(template).render(
        request=request, viewer=viewer, path=request.url.path, **context
    )
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def refuse(request: Request, viewer: Viewer | None, status: int, message: str) -> Response:
    """An error page that says what went wrong (never a stack trace)."""
    return render(request, viewer, "error.html", status_code=status, message=message)
