"""Credentials for GitHub: a personal token, or a GitHub App's installation tokens.

Secrets are read from environment variables whose names the source's configuration holds,
so configuration can be stored and shown without leaking them. Neither class includes a
secret in its repr or in any error message.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from ..errors import SourceConfigError
from .errors import GitHubNotFoundError
from .settings import APP_JWT_BACKDATE_S, APP_JWT_LIFETIME_S, TOKEN_REFRESH_MARGIN_S


@dataclass(frozen=True)
class PersonalToken:
    """A personal access token (classic or fine-grained) held in the variable ``env_var``."""

    env_var: str

    def read(self) -> str:
        """The token; read on each use, so a rotated token is picked up."""
        token = os.environ.get(self.env_var, "").strip()
        if not token:
            raise SourceConfigError(
                f"the environment variable {self.env_var} holding the GitHub token is not set; "
                "export it with a token that can read the repository"
            )
        return token

    def rejected(self) -> str:
        """What to tell a user whose token GitHub answered 401 to."""
        return (
            f"GitHub rejected the token in {self.env_var} (401 Bad credentials); set "
            f"{self.env_var} to a valid token that can read the repository"
        )


@dataclass(frozen=True)
class InstallationToken:
    value: str = field(repr=False)
    expires_at: float


class AppRequests(Protocol):
    """The client's side of minting: a request authenticated as the app, by its JWT."""

    def app_json(self, method: str, path: str, *, jwt: str, what: str, rejected: str) -> Any: ...


class GitHubApp:
    """A GitHub App acting through one of its installations.

    Installation tokens are minted from an RS256 JWT signed with the app's private key
    (PEM, read from the variable ``private_key_env`` or the file ``private_key_file``; only
    the variable's name or the file's path is configuration) and cached until shortly before they
    expire. Without ``installation_id`` the installation is looked up per repository.
    Share one instance between clients to share its tokens; it is thread-safe.
    """

    def __init__(
        self,
        *,
        app_id: str | int,
        private_key_env: str | None = None,
        private_key_file: str | None = None,
        installation_id: int | None = None,
    ) -> None:
        if (private_key_env is None) == (private_key_file is None):
            raise SourceConfigError(
                f"GitHub App {app_id}: give its private key as a variable name or a file path"
            )
        self.app_id = str(app_id)
        self.private_key_env = private_key_env
        self.private_key_file = private_key_file
        self.installation_id = installation_id
        self._lock = threading.Lock()
        self._installations: dict[str, int] = {}
        self._tokens: dict[int, InstallationToken] = {}

    def __repr__(self) -> str:
        return (
            f"GitHubApp(app_id={self.app_id!r}, key={self._key_origin!r}, "
            f"installation_id={self.installation_id!r})"
        )

    def rejected(self) -> str:
        return (
            f"GitHub rejected the installation token of GitHub App {self.app_id} (401); check "
            "that the app is installed and not suspended"
        )

    def jwt(self) -> str:
        """A fresh JWT identifying the app (valid for about 9 minutes)."""
        now = int(time.time())
        header = {"alg": "RS256", "typ": "JWT"}
        claims = {
            "iat": now - APP_JWT_BACKDATE_S,
            "exp": now + APP_JWT_LIFETIME_S,
            "iss": self.app_id,
        }
        signing_input = f"{_b64url_json(header)}.{_b64url_json(claims)}".encode()
        signature = _rs256_sign(self._private_key_pem(), signing_input, self._key_origin)
        return f"{signing_input.decode()}.{_b64url(signature)}"

    def token(self, repository: str, api: AppRequests) -> str:
        """An installation token that can read ``repository`` (``owner/name``)."""
        with self._lock:
            installation = self.installation_id or self._installations.get(repository)
            cached = self._tokens.get(installation) if installation is not None else None
            if cached is not None and cached.expires_at - TOKEN_REFRESH_MARGIN_S > time.time():
                return cached.value
            jwt = self.jwt()
            if installation is None:
                installation = self._find_installation(repository, api, jwt)
                self._installations[repository] = installation
            body = api.app_json(
                "POST",
                f"/app/installations/{installation}/access_tokens",
                jwt=jwt,
                what=f"an installation token of GitHub App {self.app_id}",
                rejected=self._jwt_rejected(),
            )
            minted = InstallationToken(
                str(body["token"]), datetime.fromisoformat(str(body["expires_at"])).timestamp()
            )
            self._tokens[installation] = minted
            return minted.value

    def discard(self, token: str) -> None:
        """Forget ``token`` (GitHub refused it), so the next request mints a new one."""
        with self._lock:
            self._tokens = {i: t for i, t in self._tokens.items() if t.value != token}

    def _find_installation(self, repository: str, api: AppRequests, jwt: str) -> int:
        try:
            body = api.app_json(
                "GET",
                f"/repos/{repository}/installation",
                jwt=jwt,
                what=f"the installation of GitHub App {self.app_id} on {repository}",
                rejected=self._jwt_rejected(),
            )
        except GitHubNotFoundError as exc:
            raise SourceConfigError(
                f"GitHub App {self.app_id} is not installed on {repository}; install it on "
                "the repository (or its owner) or configure the installation id"
            ) from exc
        return int(body["id"])

    def _jwt_rejected(self) -> str:
        return (
            f"GitHub rejected the JWT of GitHub App {self.app_id} (401); check the app id and "
            f"the private key in {self._key_origin}"
        )

    @property
    def _key_origin(self) -> str:
        if self.private_key_file is not None:
            return f"the file {self.private_key_file}"
        return f"the variable {self.private_key_env}"

    def _private_key_pem(self) -> bytes:
        if self.private_key_file is not None:
            try:
                return Path(self.private_key_file).expanduser().read_bytes().strip()
            except OSError as exc:
                raise SourceConfigError(
                    f"cannot read GitHub App {self.app_id}'s private key from "
                    f"{self.private_key_file}: {exc.strerror}"
                ) from exc
        pem = os.environ.get(self.private_key_env or "", "").strip()
        if not pem:
            raise SourceConfigError(
                f"the environment variable {self.private_key_env} holding GitHub App "
                f"{self.app_id}'s private key is not set; export the PEM key GitHub generated"
            )
        return pem.encode()


def _rs256_sign(pem: bytes, message: bytes, origin: str) -> bytes:
    """RSASSA-PKCS1-v1_5 with SHA-256, the JWT ``RS256`` algorithm."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise SourceConfigError(f"{origin} does not hold an unencrypted PEM private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SourceConfigError(f"the key in {origin} is not an RSA key, as GitHub Apps use")
    return bytes(key.sign(message, padding.PKCS1v15(), hashes.SHA256()))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_json(value: dict[str, Any]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode())
