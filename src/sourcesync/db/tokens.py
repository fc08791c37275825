"""API tokens: ``/api/*`` answers only a bearer token, and serves its workspace only.

A token is shown once, when it is made; the database keeps its SHA-256 (tokens are 256
random bits, so a fast hash is enough), which is what a request's token is looked up by.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sourcesync.db.column_types import utcnow
from sourcesync.db.errors import NotFoundError
from sourcesync.db.models import ApiToken, TokenKind, TokenScope

TOKEN_PREFIX = "ssk_"
LAST_USED_PRECISION = timedelta(minutes=1)
"""``last_used_at`` is written at most this often per token, not on every request."""


class TokenNotFoundError(NotFoundError):
    def __init__(self, token_id: str) -> None:
        super().__init__(f"no API token {token_id!r} (see `sourcesync tokens list`)")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    session: Session,
    workspace_id: str,
    name: str,
    kind: TokenKind = TokenKind.USER,
    scope: TokenScope = TokenScope.WRITE,
) -> tuple[ApiToken, str]:
    """A new token of the workspace and its secret (the only time the secret exists)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        workspace_id=workspace_id, name=name, kind=kind, scope=scope, token_hash=_digest(secret)
    )
    session.add(token)
    session.flush()
    return token, secret


def authenticate_token(session: Session, secret: str) -> ApiToken | None:
    """The live token whose secret this is, or None; notes when it was last used."""
    token = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == _digest(secret), ApiToken.revoked_at.is_(None)
        )
    )
    if token is None:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        token.last_used_at = now
    return token


def get_live_token(session: Session, token_id: str) -> ApiToken | None:
    """The token of this id unless it was revoked (a dashboard session names its token)."""
    token = session.get(ApiToken, token_id)
    return token if token is not None and token.revoked_at is None else None


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at, ApiToken.id)))


def count_user_tokens(session: Session) -> int:
    """Live tokens that people made (not the machine's own local token)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(ApiToken)
            .where(ApiToken.kind == TokenKind.USER, ApiToken.revoked_at.is_(None))
        )
        or 0
    )


def revoke_token(session: Session, token_id: str) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise TokenNotFoundError(token_id)
    if token.revoked_at is None:
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(revoked_at=utcnow()))
        session.refresh(token)
    return token
