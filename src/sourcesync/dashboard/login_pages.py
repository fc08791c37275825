"""Signing in and out: a pasted API token, or a one-time link from ``sourcesync
dashboard``, is exchanged for a session cookie (HttpOnly, SameSite=Strict) that names the
token by its id only; the token itself never reaches a URL, a page or the cookie."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sourcesync import db

from .context import Dashboard, FormError, current_viewer, read_form, safe_next, same_origin
from .rendering import SECURITY_HEADERS, refuse, render
from .sessions import (
    LOGIN_LINK_SECONDS,
    SESSION_COOKIE,
    SESSION_SECONDS,
    Purpose,
    sign,
    verify,
)


def login_link(key: bytes, token_id: str, base_url: str) -> str:
    """A one-time sign-in link for ``token_id``, valid ``LOGIN_LINK_SECONDS``: it names the
    token by id under the dashboard key's signature, so the token itself is not in it."""
    code = sign(key, Purpose.LOGIN_LINK, token_id, LOGIN_LINK_SECONDS)
    return f"{base_url.rstrip('/')}/login/link?code={code}"


def _signed_in(dashboard: Dashboard, request: Request, token_id: str, target: str) -> Response:
    response = RedirectResponse(safe_next(target), status_code=303, headers=SECURITY_HEADERS)
    response.set_cookie(
        SESSION_COOKIE,
        sign(dashboard.key, Purpose.SESSION, token_id, SESSION_SECONDS),
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


def login_routes(dashboard: Dashboard) -> list[Route]:
    def token_id_of(secret: str) -> str | None:
        with dashboard.services.transaction() as session:
            token = db.authenticate_token(session, secret)
            return None if token is None else token.id

    async def login_form(request: Request) -> Response:
        target = safe_next(request.query_params.get("next"))
        if await current_viewer(dashboard, request) is not None:
            return RedirectResponse(target, status_code=303)
        return render(request, None, "login.html", next=target, message=None)

    async def login(request: Request) -> Response:
        try:
            form = await read_form(request)
        except FormError as exc:
            return refuse(request, None, exc.status, str(exc))
        if not same_origin(request):
            return refuse(request, None, 403, "this form is not from this site")
        target = safe_next(form.get("next"))
        secret = form.get("token", "").strip()
        token_id = await dashboard.services.in_thread(token_id_of, secret) if secret else None
        if token_id is None:
            message = "that token is not valid (unknown or revoked)"
            return render(
                request, None, "login.html", status_code=401, next=target, message=message
            )
        return _signed_in(dashboard, request, token_id, target)

    async def login_link(request: Request) -> Response:
        grant = verify(dashboard.key, Purpose.LOGIN_LINK, request.query_params.get("code"))
        if grant is None or not dashboard.used_links.claim(grant):
            message = "this sign-in link is used or expired: run `sourcesync dashboard` again"
            return render(request, None, "login.html", status_code=401, next="/", message=message)
        return _signed_in(dashboard, request, grant.token_id, "/")

    async def logout(request: Request) -> Response:
        response = RedirectResponse("/login", status_code=303, headers=SECURITY_HEADERS)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
        return response

    return [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/login/link", login_link, methods=["GET"]),
        Route("/logout", logout, methods=["POST"]),
    ]
