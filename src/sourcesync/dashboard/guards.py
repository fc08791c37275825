"""Guarding pages: a page handler is ``async (request, viewer) -> Response``.

Without a valid session a browser is sent to the login page (a POST is refused with
401); an acting handler (a POST that changes something) also needs the session's CSRF
token, this site as the form's origin, and a token that may act (else 403).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .context import Dashboard, FormError, Viewer, current_viewer, read_form, same_origin
from .rendering import refuse

Handler = Callable[[Request, Viewer], Awaitable[Response]]


def page(dashboard: Dashboard, path: str, handler: Handler, *, acting: bool = False) -> Route:
    """A route for ``handler``: GET for pages, POST for acting handlers."""

    async def endpoint(request: Request) -> Response:
        viewer = await current_viewer(dashboard, request)
        if viewer is None:
            if acting:
                return refuse(request, None, 401, "sign in first: your session has ended")
            target = urllib.parse.quote(request.url.path + _query(request), safe="/?=&")
            if request.headers.get("hx-request"):
                # A live region refreshing itself: htmx takes the whole page to sign-in.
                return Response(status_code=401, headers={"HX-Redirect": f"/login?next={target}"})
            return RedirectResponse(f"/login?next={target}", status_code=303)
        if acting:
            try:
                form = await read_form(request)
            except FormError as exc:
                return refuse(request, viewer, exc.status, str(exc))
            if not same_origin(request) or form.get("csrf") != viewer.csrf:
                return refuse(
                    request, viewer, 403, "this form is stale or not from this site: reload"
                )
            if not viewer.may_act:
                return refuse(
                    request, viewer, 403, "your token is read-only: it may look but not act"
                )
            request.state.form = form
        return await handler(request, viewer)

    return Route(path, endpoint, methods=["POST" if acting else "GET"])


def _query(request: Request) -> str:
    return f"?{request.url.query}" if request.url.query else ""


def form_of(request: Request) -> dict[str, Any]:
    """The form ``page`` read and checked for an acting handler."""
    form: dict[str, Any] = request.state.form
    return form
