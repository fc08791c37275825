"""HTTP access to Vercel's REST API: auth, team scoping, rate limits and retries.

Every request carries ``teamId`` (or ``slug``) when the source names a team. Answers become
the connector errors: a refused token is ``SourceConfigError`` naming the variable that
holds it, 404 ``VercelNotFoundError``. A 429 is waited out when Vercel says to come back
soon (``Retry-After``, else ``X-RateLimit-Reset`` in epoch seconds) and 5xx answers and
network errors are retried with exponential backoff; once ``max_retries`` are spent, or
when the reset is further than ``max_wait_s``, ``SourceUnavailableError`` carries the wait
to the core, which retries the batch then. A sync never fails for a rate limit.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from ..errors import ConnectorError, SourceConfigError, SourceUnavailableError
from ..retry_after import retry_after_seconds
from .errors import VercelNotFoundError
from .settings import VercelSettings

__all__ = ["VercelClient"]

_MAX_MESSAGE_CHARS = 300
USER_AGENT = "sourcesync-vercel"


class VercelClient:
    """GET requests to the Vercel API as one token and (optionally) one team."""

    def __init__(
        self,
        settings: VercelSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._clock = clock
        self._http = httpx.Client(
            base_url=settings.api_url.rstrip("/"),
            timeout=settings.timeout_s,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            transport=transport,
        )

    def __repr__(self) -> str:
        return (
            f"VercelClient(api_url={self.settings.api_url!r}, "
            f"token_env={self.settings.token_env!r}, team={self.settings.team!r})"
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def team_params(self) -> dict[str, str]:
        """``teamId`` for an id (``team_...``), ``slug`` for a slug; nothing without a team."""
        team = self.settings.team
        if not team:
            return {}
        return {"teamId": team} if team.startswith("team_") else {"slug": team}

    def get(
        self,
        path: str,
        *,
        what: str,
        params: Mapping[str, str | int] | None = None,
        team: bool = True,
    ) -> Any:
        """GET ``path`` and return its JSON, retrying rate limits and outages."""
        query: dict[str, str | int] = {**(self.team_params() if team else {}), **(params or {})}
        headers = {"Authorization": f"Bearer {self._token()}"}
        attempt = 0
        while True:
            failure: ConnectorError
            wait: float | None
            try:
                response = self._http.get(path, params=query, headers=headers)
            except httpx.TransportError as exc:
                failure = SourceUnavailableError(
                    f"could not reach Vercel for {what}: {type(exc).__name__}"
                )
                wait = self._backoff(attempt)
            else:
                if response.is_success:
                    try:
                        return response.json()
                    except ValueError as exc:
                        raise ConnectorError(f"Vercel answered {what} with invalid JSON") from exc
                failure, wait = self._failure(response, what, attempt)
            if (
                wait is None
                or attempt >= self.settings.max_retries
                or wait > self.settings.max_wait_s
            ):
                raise failure
            self._sleep(wait)
            attempt += 1

    def _token(self) -> str:
        name = self.settings.token_env
        token = os.environ.get(name, "").strip()
        if not token:
            raise SourceConfigError(
                f"no Vercel token: set the environment variable {name} to a Vercel access "
                "token (vercel.com/account/tokens)"
            )
        return token

    def _backoff(self, attempt: int) -> float:
        return float(self.settings.backoff_s * 2**attempt)

    def _failure(
        self, response: httpx.Response, what: str, attempt: int
    ) -> tuple[ConnectorError, float | None]:
        """The error an answer means, and how long to wait before retrying (None: never)."""
        status = response.status_code
        code, message = _vercel_error(response)
        if status == 429:
            wait = self._rate_limit_wait(response.headers)
            return (
                SourceUnavailableError(
                    f"Vercel rate limit reached while reading {what}", retry_after_s=wait
                ),
                wait,
            )
        if status >= 500:
            wait = self._backoff(attempt)
            return (
                SourceUnavailableError(
                    f"Vercel answered {status} while reading {what}: {message}",
                    retry_after_s=max(wait, 1.0),
                ),
                wait,
            )
        name = self.settings.token_env
        if status == 401 or code == "invalid_token":
            return (
                SourceConfigError(
                    f"Vercel rejected the token in {name} ({status}: {message}); set {name} "
                    "to a valid Vercel access token"
                ),
                None,
            )
        if status == 403:
            scope = f"team {self.settings.team!r}" if self.settings.team else "this account"
            return (
                SourceConfigError(
                    f"Vercel refused {what} ({status}: {message}): check that the token in "
                    f"{name} has access to {scope}"
                ),
                None,
            )
        if status == 404:
            return VercelNotFoundError(f"{what} not found on Vercel (404: {message})"), None
        return SourceConfigError(f"Vercel refused {what} ({status}: {message})"), None

    def _rate_limit_wait(self, headers: httpx.Headers) -> float:
        now = self._clock()
        wait = retry_after_seconds(headers.get("Retry-After"), now)
        reset = headers.get("X-RateLimit-Reset")
        if wait is None and reset is not None:
            try:
                wait = float(reset) - now
            except ValueError:
                wait = None
        return max(0.0, wait) if wait is not None else 60.0


def _vercel_error(response: httpx.Response) -> tuple[str | None, str]:
    """Vercel's ``{"error": {"code", "message"}}``, or the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return None, response.text[:_MAX_MESSAGE_CHARS] or response.reason_phrase
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = error.get("code")
        message = error.get("message")
        if error.get("invalidToken"):
            code = "invalid_token"
        return (
            code if isinstance(code, str) else None,
            str(message)[:_MAX_MESSAGE_CHARS] if message else response.reason_phrase,
        )
    return None, response.text[:_MAX_MESSAGE_CHARS]
