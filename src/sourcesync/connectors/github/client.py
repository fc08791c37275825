"""HTTP access to one GitHub repository: its REST API and its raw file host.

One pooled ``httpx.Client`` serves both hosts and is safe to share between threads, so
parallel downloads reuse connections. Raw downloads, one request per file, go straight to
the client's transport (its pool) with the headers the client would send: the client's
per-request work (merging headers, URL and cookies, storing the response's cookies) is
about a fifth of a download's CPU. Where a proxy is configured in the environment they
go through the client, which routes them to it. GitHub's answers become the connector errors:
rate limits and 5xx are ``SourceUnavailableError`` (with ``retry_after_s`` when GitHub
says when to come back; nothing here sleeps), 401 and other refusals
``SourceConfigError``, 404 ``GitHubNotFoundError``.
"""

from __future__ import annotations

import functools
import ssl
import time
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from ..errors import ConnectorError, SourceConfigError, SourceUnavailableError
from ..retries import DEFAULT_POLICY, RetryPolicy, with_retries
from ..retry_after import retry_after_seconds
from .auth import GitHubApp, PersonalToken
from .errors import GitHubNotFoundError
from .settings import (
    API_ACCEPT,
    API_VERSION,
    DEFAULT_API_URL,
    DEFAULT_RAW_URL,
    FETCH_CONCURRENCY,
    MIN_RETRY_AFTER_S,
    REQUEST_TIMEOUT_S,
    USER_AGENT,
)

GitHubAuth = PersonalToken | GitHubApp

_MAX_MESSAGE_CHARS = 300


def parse_repository(repository: str) -> tuple[str, str]:
    """Split ``owner/name``; raise ``SourceConfigError`` for anything else."""
    owner, slash, name = repository.strip().partition("/")
    if not slash or not owner or not name or "/" in name:
        raise SourceConfigError(f"a GitHub repository is 'owner/name', got {repository!r}")
    return owner, name


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context for every client: building one loads the CA bundle (~20 ms)."""
    return httpx.create_ssl_context()


class GitHubClient:
    """REST and raw requests for the repository ``owner/name``.

    ``api_url`` and ``raw_url`` point at github.com by default; give a GitHub Enterprise
    server's (``https://HOST/api/v3``, ``https://HOST/raw``) or a test fake's. ``auth`` is
    None for public repositories. ``concurrency`` bounds parallel downloads and pooled
    connections. ``clock`` gives the epoch time that rate-limit reset times are read against.
    """

    def __init__(
        self,
        repository: str,
        *,
        auth: GitHubAuth | None = None,
        api_url: str = DEFAULT_API_URL,
        raw_url: str = DEFAULT_RAW_URL,
        concurrency: int = FETCH_CONCURRENCY,
        timeout_s: float = REQUEST_TIMEOUT_S,
        clock: Callable[[], float] = time.time,
        retry_policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self.owner, self.name = parse_repository(repository)
        self.auth = auth
        self.concurrency = concurrency
        self._retry_policy = retry_policy
        self._api_url = api_url.rstrip("/")
        self._raw_url = raw_url.rstrip("/")
        self._clock = clock
        # The API's calls are sequential, so one connection beyond the downloads' suffices.
        limits = httpx.Limits(max_connections=concurrency + 1)
        self._transport = httpx.HTTPTransport(limits=limits, retries=1, verify=_tls_context())
        self._http = httpx.Client(
            timeout=timeout_s, headers={"User-Agent": USER_AGENT}, transport=self._transport
        )
        self._direct_raw = not urllib.request.getproxies()
        self._raw_extensions = {"timeout": httpx.Timeout(timeout_s).as_dict()}

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def __repr__(self) -> str:
        return f"GitHubClient({self.full_name!r}, api_url={self._api_url!r}, auth={self.auth!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def repo_json(
        self, path: str = "", *, what: str, params: Mapping[str, str] | None = None
    ) -> Any:
        """GET ``/repos/{owner}/{name}{path}`` from the REST API and return its JSON."""
        url = f"{self._api_url}/repos/{self.owner}/{self.name}{path}"
        headers = self._api_headers(self._token())
        response = self._send("GET", url, what=what, headers=headers, params=params)
        return response.json()

    def raw_bytes(self, path: str, *, what: str) -> bytes | None:
        """GET ``{raw_url}{path}``; None when the raw host answers 404."""
        token = self._token()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            url = f"{self._raw_url}{path}"
            return self._send("GET", url, what=what, headers=headers, raw=True).content
        except GitHubNotFoundError:
            return None

    def app_json(self, method: str, path: str, *, jwt: str, what: str, rejected: str) -> Any:
        """A REST request authenticated as a GitHub App by its JWT (``path`` from the API root)."""
        url = f"{self._api_url}{path}"
        headers = self._api_headers(jwt)
        return self._send(method, url, what=what, headers=headers, rejected=rejected).json()

    def _token(self) -> str | None:
        if self.auth is None:
            return None
        if isinstance(self.auth, PersonalToken):
            return self.auth.read()
        return self.auth.token(self.full_name, self)

    @staticmethod
    def _api_headers(token: str | None) -> dict[str, str]:
        headers = {"Accept": API_ACCEPT, "X-GitHub-Api-Version": API_VERSION}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def _send(
        self,
        method: str,
        url: str,
        *,
        what: str,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None = None,
        rejected: str | None = None,
        raw: bool = False,
    ) -> httpx.Response:
        """One request, its transient failures retried in place (``connectors/retries.py``)."""

        def attempt() -> httpx.Response:
            try:
                if raw and self._direct_raw:
                    response = self._send_direct(method, url, headers)
                else:
                    response = self._http.request(method, url, headers=headers, params=params)
            except httpx.TransportError as exc:
                raise SourceUnavailableError(
                    f"could not reach GitHub for {what}: {type(exc).__name__}: {exc}"
                ) from exc
            if response.is_success:
                return response
            raise self._error(response, what, rejected)

        return with_retries(attempt, self._retry_policy)

    def _send_direct(self, method: str, url: str, headers: Mapping[str, str]) -> httpx.Response:
        """``self._http.request`` without the client's per-request work: its headers and
        timeout, read in full, on its transport (no cookies, no redirects: it has none)."""
        merged = httpx.Headers(self._http.headers)
        merged.update(headers)
        request = httpx.Request(method, url, headers=merged, extensions=self._raw_extensions)
        response = self._transport.handle_request(request)
        response.request = request
        try:
            response.read()
        except BaseException:
            response.close()
            raise
        return response

    def _error(self, response: httpx.Response, what: str, rejected: str | None) -> ConnectorError:
        status = response.status_code
        message = _github_message(response)
        headers = response.headers
        rate_limited = headers.get("X-RateLimit-Remaining") == "0" or "Retry-After" in headers
        if status == 429 or (status == 403 and rate_limited):
            return SourceUnavailableError(
                f"GitHub rate limit reached while reading {what}: {message}",
                retry_after_s=self._retry_after(headers),
            )
        if status >= 500:
            return SourceUnavailableError(
                f"GitHub answered {status} while reading {what}: {message}",
                retry_after_s=self._retry_after(headers),
            )
        if status == 401:
            if rejected is None:
                if isinstance(self.auth, GitHubApp):
                    # A refused installation token (the app's own JWT requests give
                    # ``rejected``) would otherwise stay cached, and shared, until it expires.
                    self.auth.discard(_bearer(response.request.headers.get("Authorization")))
                rejected = (
                    self.auth.rejected()
                    if self.auth is not None
                    else "GitHub requires authentication (401); configure a token"
                )
            return SourceConfigError(f"{rejected} (while reading {what})")
        if status == 404:
            return GitHubNotFoundError(f"{what} not found on GitHub (404)")
        return SourceConfigError(f"GitHub refused {what} ({status}: {message})")

    def _retry_after(self, headers: httpx.Headers) -> float | None:
        """Seconds until GitHub accepts requests again: Retry-After, else X-RateLimit-Reset."""
        seconds = retry_after_seconds(headers.get("Retry-After"), self._clock())
        reset = headers.get("X-RateLimit-Reset")
        if seconds is None and reset is not None and reset.isdigit():
            seconds = int(reset) - self._clock()
        return None if seconds is None else max(MIN_RETRY_AFTER_S, seconds)


def _bearer(authorization: str | None) -> str:
    return (authorization or "").removeprefix("Bearer ")


def _github_message(response: httpx.Response) -> str:
    """GitHub's ``{"message": ...}``, or the start of the body, or the reason phrase."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:_MAX_MESSAGE_CHARS] or response.reason_phrase
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])[:_MAX_MESSAGE_CHARS]
    return response.text[:_MAX_MESSAGE_CHARS]
