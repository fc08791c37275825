"""GraphQL over HTTP to Linear, with Linear's auth, rate-limit and error conventions.

The token is read from an environment variable whose name is configured, at each request
(so a rotated key applies without a restart); it never appears in reprs, logs or errors.
Failures are sorted for the caller: rate limits and outages are `SourceUnavailableError`
(with `retry_after_s` when Linear says when to come back), a rejected token is
`SourceConfigError`, anything else Linear refuses is `LinearAPIError` with its message.
Short blips are retried in place; longer waits are left to the workflow step that calls it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from ..errors import SourceConfigError, SourceUnavailableError
from ..retries import DEFAULT_POLICY, RetryPolicy, with_retries
from ..retry_after import retry_after_seconds
from .errors import LinearAPIError
from .settings import DEFAULT_TOKEN_ENV, LINEAR_API_URL, LinearSettings, TokenKind

__all__ = ["JSONObject", "LinearClient"]

JSONObject = dict[str, Any]

_RATE_LIMITED = "RATELIMITED"
_AUTH_CODES = frozenset({"AUTHENTICATION_ERROR", "FORBIDDEN"})
# (reset header, remaining header) of each of Linear's budgets; resets are epoch milliseconds.
_RESET_HEADERS = (
    ("X-RateLimit-Requests-Reset", "X-RateLimit-Requests-Remaining"),
    ("X-RateLimit-Complexity-Reset", "X-RateLimit-Complexity-Remaining"),
)
_MAX_MESSAGE_CHARS = 500


class LinearClient:
    """Sends GraphQL documents to Linear and returns their `data`."""

    def __init__(
        self,
        *,
        api_url: str = LINEAR_API_URL,
        token_env: str = DEFAULT_TOKEN_ENV,
        token_kind: TokenKind = "api_key",
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        retry_policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        self.api_url = api_url
        self._retry_policy = retry_policy
        self.token_env = token_env
        self.token_kind = token_kind
        self._clock = clock
        self._http = httpx.Client(timeout=httpx.Timeout(timeout_s), transport=transport)

    @classmethod
    def from_settings(cls, settings: LinearSettings) -> Self:
        return cls(
            api_url=settings.api_url,
            token_env=settings.token_env,
            token_kind=settings.token_kind,
            timeout_s=settings.timeout_s,
        )

    def __repr__(self) -> str:
        return f"LinearClient(api_url={self.api_url!r}, token_env={self.token_env!r})"

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

    def execute(self, query: str, variables: Mapping[str, object] | None = None) -> JSONObject:
        """Run one GraphQL document and return its `data` object (transient failures are
        retried in place, `connectors/retries.py`)."""

        def attempt() -> JSONObject:
            try:
                response = self._http.post(
                    self.api_url,
                    json={"query": query, "variables": dict(variables or {})},
                    headers={"Authorization": self._authorization(), "Accept": "application/json"},
                )
            except httpx.TransportError as error:
                raise SourceUnavailableError(
                    f"could not reach Linear at {self.api_url}: {type(error).__name__}"
                ) from error
            return self._data(response)

        return with_retries(attempt, self._retry_policy)

    def _authorization(self) -> str:
        token = os.environ.get(self.token_env, "").strip()
        if not token:
            raise SourceConfigError(
                f"no Linear token: set the environment variable {self.token_env} "
                "to a Linear API key or OAuth access token"
            )
        return f"Bearer {token}" if self.token_kind == "oauth" else token

    def _data(self, response: httpx.Response) -> JSONObject:
        status = response.status_code
        if status == 429:
            raise self._rate_limited(response, "HTTP 429")
        try:
            body = response.json()
        except ValueError:
            body = None
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            self._raise_for_errors(response, errors)
        if status in (401, 403):
            raise self._auth_failed(f"HTTP {status}")
        if status >= 500:
            raise SourceUnavailableError(
                f"Linear answered HTTP {status}",
                retry_after_s=retry_after_seconds(
                    response.headers.get("Retry-After"), self._clock()
                ),
            )
        data = body.get("data") if isinstance(body, dict) else None
        if not response.is_success or not isinstance(data, dict):
            snippet = response.text[:_MAX_MESSAGE_CHARS]
            raise LinearAPIError(
                f"Linear answered HTTP {status} without data: {snippet}", status_code=status
            )
        return data

    def _raise_for_errors(self, response: httpx.Response, errors: object) -> None:
        entries = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
        codes = [_error_code(entry) for entry in entries]
        message = "; ".join(str(e.get("message", "")) for e in entries)[:_MAX_MESSAGE_CHARS]
        message = message or "unspecified GraphQL error"
        if _RATE_LIMITED in codes:
            raise self._rate_limited(response, message)
        if response.status_code in (401, 403) or _AUTH_CODES.intersection(filter(None, codes)):
            raise self._auth_failed(message)
        if response.status_code >= 500:
            raise SourceUnavailableError(
                f"Linear answered HTTP {response.status_code}: {message}",
                retry_after_s=retry_after_seconds(
                    response.headers.get("Retry-After"), self._clock()
                ),
            )
        raise LinearAPIError(
            f"Linear rejected the request: {message}",
            status_code=response.status_code,
            code=next(filter(None, codes), None),
        )

    def _auth_failed(self, message: str) -> SourceConfigError:
        return SourceConfigError(
            f"Linear rejected the token in {self.token_env} ({message}); "
            f"set {self.token_env} to a valid "
            + ("OAuth access token" if self.token_kind == "oauth" else "Linear API key")
        )

    def _rate_limited(self, response: httpx.Response, message: str) -> SourceUnavailableError:
        retry_after_s = _reset_after(response.headers, self._clock())
        if retry_after_s is None:
            retry_after_s = retry_after_seconds(response.headers.get("Retry-After"), self._clock())
        return SourceUnavailableError(f"Linear rate limit: {message}", retry_after_s=retry_after_s)


def _error_code(error: Mapping[str, Any]) -> str | None:
    extensions = error.get("extensions")
    code = extensions.get("code") if isinstance(extensions, dict) else None
    return code if isinstance(code, str) else None


def _reset_after(headers: httpx.Headers, now: float) -> float | None:
    """Seconds until the exhausted budget refills, from Linear's epoch-millisecond resets.

    When no `*-Remaining` header says which budget ran out, the later reset is taken:
    coming back early would only be rate limited again.
    """
    resets: list[tuple[bool, float]] = []
    for reset_header, remaining_header in _RESET_HEADERS:
        try:
            reset_s = float(headers[reset_header]) / 1000
        except (KeyError, ValueError):
            continue
        exhausted = headers.get(remaining_header, "").strip() in {"0", "-1"}
        resets.append((exhausted, reset_s))
    if not resets:
        return None
    exhausted_resets = [reset for exhausted, reset in resets if exhausted]
    reset_at = max(exhausted_resets or [reset for _, reset in resets])
    return max(0.0, reset_at - now)
