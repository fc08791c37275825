"""Signed, stateless browser sessions: the cookie names an API token by its id, never its
secret, and is signed with the home's dashboard key, so every process serving the home
(the engine's port and the API's) accepts it, and revoking the token ends the session.

The same signature makes one-time login links (``sourcesync dashboard``) and the CSRF
token that every form and htmx request sends back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum

SESSION_COOKIE = "sourcesync_session"
SESSION_SECONDS = 12 * 3600
LOGIN_LINK_SECONDS = 120


class Purpose(StrEnum):
    """What a signed value is for: a session's cookie never works as a login link."""

    SESSION = "session"
    LOGIN_LINK = "login-link"


@dataclass(frozen=True)
class Grant:
    """A verified signed value: the token it names, until when, and its nonce."""

    token_id: str
    expires_at: int
    nonce: str


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: bytes, purpose: Purpose, body: str) -> str:
    return _b64(hmac.new(key, f"{purpose}|{body}".encode(), hashlib.sha256).digest())


def sign(key: bytes, purpose: Purpose, token_id: str, seconds: int) -> str:
    """A signed value naming ``token_id``, valid for ``seconds``, with a fresh nonce."""
    payload = {"t": token_id, "e": int(time.time()) + seconds, "n": secrets.token_urlsafe(12)}
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{_signature(key, purpose, body)}"


def verify(key: bytes, purpose: Purpose, value: str | None) -> Grant | None:
    """The grant of a value signed by ``sign`` for ``purpose``, or None (forged, altered,
    expired or malformed)."""
    if not value or value.count(".") != 1:
        return None
    body, signature = value.split(".")
    if not hmac.compare_digest(signature, _signature(key, purpose, body)):
        return None
    try:
        payload = json.loads(_unb64(body))
        grant = Grant(str(payload["t"]), int(payload["e"]), str(payload["n"]))
    except (ValueError, KeyError, TypeError):
        return None
    return grant if grant.expires_at > time.time() else None


def csrf_token(key: bytes, grant: Grant) -> str:
    """The session's CSRF token: derived from its nonce, so it needs no storage."""
    return _b64(hmac.new(key, f"csrf|{grant.nonce}".encode(), hashlib.sha256).digest())[:32]


class UsedLinks:
    """Nonces of login links already used, kept until they would have expired anyway."""

    def __init__(self) -> None:
        self._used: dict[str, int] = {}

    def claim(self, grant: Grant) -> bool:
        """True the first time a link's grant is seen; False after."""
        now = time.time()
        self._used = {nonce: until for nonce, until in self._used.items() if until > now}
        if grant.nonce in self._used:
            return False
        self._used[grant.nonce] = grant.expires_at
        return True
