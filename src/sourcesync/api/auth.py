"""Who is calling ``/api/*``: a bearer token, which names the one workspace served.

Tokens are made with ``sourcesync tokens create``; this machine's own is in
``SOURCESYNC_HOME/api-token``. A request without a valid token is refused with 401 before
anything else is read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Header, HTTPException

from sourcesync import db
from sourcesync.workflows.services import Services

__all__ = ["Caller", "caller_dependency"]


@dataclass(frozen=True)
class Caller:
    """An authenticated request: its token and the workspace it may see."""

    token_id: str
    workspace_id: str
    scope: db.TokenScope = db.TokenScope.WRITE

    @property
    def may_act(self) -> bool:
        """Whether the token may change anything (a read-only one may only look)."""
        return self.scope is db.TokenScope.WRITE


def _refuse(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


def caller_dependency(
    services: Services, *, acting: bool = False
) -> Callable[..., Awaitable[Caller]]:
    """A FastAPI dependency that authenticates the request's bearer token; with
    ``acting``, a read-only token is refused (403)."""

    def lookup(secret: str) -> Caller | None:
        with services.transaction() as session:
            token = db.authenticate_token(session, secret)
            return None if token is None else Caller(token.id, token.workspace_id, token.scope)

    async def caller(authorization: str | None = Header(default=None)) -> Caller:
        if not authorization:
            raise _refuse(
                "missing Authorization: Bearer <token> (make one with `sourcesync tokens "
                "create`; this machine's own is in SOURCESYNC_HOME/api-token)"
            )
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise _refuse("the Authorization header must be: Bearer <token>")
        found = await services.in_thread(lookup, secret.strip())
        if found is None:
            raise _refuse("the API token is not valid (unknown or revoked)")
        if acting and not found.may_act:
            raise HTTPException(403, "this API token is read-only: it may not change anything")
        return found

    return caller
