"""What every dashboard page works with, who is looking, and reading what they send."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import inngest
from starlette.requests import Request

from sourcesync import db
from sourcesync.engine import Engine
from sourcesync.workflows.services import Services

from .sessions import SESSION_COOKIE, Grant, Purpose, UsedLinks, csrf_token, verify

MAX_FORM_BYTES = 256 * 1024
"""Forms carry an event payload at most; a larger body is refused before it is read."""


@dataclass
class Dashboard:
    """The dashboard's parts: the app's services, the client that sends events, and the
    embedded engine (None when the workflows run on Inngest, which has its own UI)."""

    services: Services
    client: inngest.Inngest
    engine: Engine | None
    key: bytes = field(repr=False)
    used_links: UsedLinks = field(default_factory=UsedLinks)


@dataclass(frozen=True)
class Viewer:
    """A signed-in browser: its token's id, workspace and scope, and its CSRF token."""

    token_id: str
    token_name: str
    workspace_id: str
    scope: db.TokenScope
    csrf: str

    @property
    def may_act(self) -> bool:
        return self.scope is db.TokenScope.WRITE


class FormError(Exception):
    """A form that cannot be read (too large, not a form)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body, read up to ``MAX_FORM_BYTES``."""
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind != "application/x-www-form-urlencoded":
        raise FormError(415, "send a form (application/x-www-form-urlencoded)")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_FORM_BYTES:
            raise FormError(413, f"the form is over {MAX_FORM_BYTES // 1024} KiB")
    try:
        pairs = urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise FormError(400, "the form is not UTF-8") from exc
    return dict(pairs)


async def current_viewer(dashboard: Dashboard, request: Request) -> Viewer | None:
    """The viewer of a request's session cookie, if it is valid and its token is live."""
    grant = verify(dashboard.key, Purpose.SESSION, request.cookies.get(SESSION_COOKIE))
    if grant is None:
        return None
    return await dashboard.services.in_thread(_viewer_of, dashboard, grant)


def _viewer_of(dashboard: Dashboard, grant: Grant) -> Viewer | None:
    with dashboard.services.reading() as session:
        token = db.get_live_token(session, grant.token_id)
        if token is None:
            return None
        return Viewer(
            token.id,
            token.name,
            token.workspace_id,
            token.scope,
            csrf_token(dashboard.key, grant),
        )


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (never ``//host``)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def same_origin(request: Request) -> bool:
    """A POST's Origin (when the browser sends one) is this site."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urllib.parse.urlsplit(origin).netloc == request.headers.get("host", "")


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def json_object(text: str, what: str) -> dict[str, Any]:
    """A form field holding a JSON object (strict: no NaN or Infinity); ``ValueError``
    saying what is wrong otherwise."""
    try:
        value = json.loads(text or "{}", parse_constant=_no_constants)
    except RecursionError as exc:
        raise ValueError(f"{what} is nested too deeply") from exc
    except ValueError as exc:
        raise ValueError(f"{what} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a JSON object")
    return value
