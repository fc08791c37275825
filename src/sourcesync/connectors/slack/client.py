"""Slack's Web API through the official `slack_sdk`: auth, cursor paging, rate limits and
errors as the core understands them.

We use the synchronous `WebClient`. The core calls a connector's methods on a worker
thread, off the event loop, one call at a time, so an `AsyncWebClient` would only add an
event loop per thread (and `aiohttp`, which it needs and nothing else here uses) without
overlapping a single request: Slack's tiers, not latency, bound how fast a sync reads.

Errors: a bad or revoked token and a missing scope are `SourceConfigError`s that name the
environment variable or the scope; 429s wait for `Retry-After` (up to
`SlackSettings.rate_limit_retries` times per request, pausing every client of the token)
and 5xx answers are retried with backoff; when retries run out the error is a
`SourceUnavailableError` carrying the wait Slack asked for, so the core retries the batch
later instead of failing the sync.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any, Self
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from ..errors import ConnectorError, SourceConfigError, SourceUnavailableError
from ..retry_after import retry_after_seconds
from .errors import SlackAPIError, SlackChannelGoneError
from .rate_limits import TokenLimiter, limiter_for
from .settings import SlackSettings

__all__ = ["JSONObject", "SlackClient"]

JSONObject = dict[str, Any]

_AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "not_allowed_token_type",
        "ekm_access_denied",
    }
)
_CHANNEL_GONE = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
_TRANSIENT = frozenset(
    {"fatal_error", "internal_error", "service_unavailable", "request_timeout", "ratelimited"}
)
_DEFAULT_RETRY_AFTER_S = 1.0
_MAX_BACKOFF_S = 30.0


def _method_of(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) else value)
    return None


class _RateLimitRetry(RetryHandler):
    """429: wait `Retry-After` (every client of the token waits with us), then again."""

    def __init__(self, limiter: TokenLimiter, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.limiter = limiter

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code == 429

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        headers = response.headers if response is not None else {}
        wait = retry_after_seconds(_header(headers, "retry-after"), time.time())
        self.limiter.pause(_DEFAULT_RETRY_AFTER_S if wait is None else wait)
        self.limiter.acquire(_method_of(request.url))
        state.next_attempt_requested = True
        state.increment_current_attempt()


class _ServerErrorRetry(RetryHandler):
    """5xx: back off exponentially (or as `Retry-After` says), then send it again."""

    def __init__(self, limiter: TokenLimiter, max_retry_count: int, base_s: float) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.limiter = limiter
        self.base_s = base_s

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code >= 500

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        headers = response.headers if response is not None else {}
        wait = retry_after_seconds(_header(headers, "retry-after"), time.time())
        if wait is None:
            wait = min(_MAX_BACKOFF_S, self.base_s * 2**state.current_attempt)
        self.limiter.sleep(wait)
        self.limiter.acquire(_method_of(request.url))
        state.next_attempt_requested = True
        state.increment_current_attempt()


class SlackClient:
    """One bot token's view of Slack's Web API: `call` one method, `pages` of a listing."""

    def __init__(self, settings: SlackSettings, *, server_error_backoff_s: float = 1.0) -> None:
        self.settings = settings
        self.token_env = settings.token_env
        self.api_url = settings.api_url
        self._server_error_backoff_s = server_error_backoff_s
        self._web: WebClient | None = None
        self._limiter: TokenLimiter | None = None

    def __repr__(self) -> str:
        return f"SlackClient(api_url={self.api_url!r}, token_env={self.token_env!r})"

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
        """Nothing to release: `WebClient` opens one connection per request."""
        self._web = None

    @property
    def limiter(self) -> TokenLimiter:
        self._client()
        assert self._limiter is not None
        return self._limiter

    def _client(self) -> WebClient:
        if self._web is None:
            token = os.environ.get(self.token_env, "").strip()
            if not token:
                raise SourceConfigError(
                    f"no Slack token: set the environment variable {self.token_env} to the "
                    "app's bot token (xoxb-...)"
                )
            limiter = limiter_for(self.api_url, token, self.settings.per_minute)
            self._limiter = limiter
            self._web = WebClient(
                token=token,
                base_url=self.api_url,
                timeout=self.settings.timeout_s,
                retry_handlers=[
                    ConnectionErrorRetryHandler(max_retry_count=2),
                    _RateLimitRetry(limiter, self.settings.rate_limit_retries),
                    _ServerErrorRetry(
                        limiter, self.settings.server_error_retries, self._server_error_backoff_s
                    ),
                ],
            )
        return self._web

    def call_with_headers(self, method: str, **params: Any) -> tuple[JSONObject, Mapping[str, Any]]:
        """One Web API call: its data and its response headers (`X-OAuth-Scopes`)."""
        web = self._client()
        self.limiter.acquire(method)
        query = {k: v for k, v in params.items() if v is not None}
        try:
            response = web.api_call(method, http_verb="GET", params=query)
        except SlackApiError as exc:
            raise self._error(method, exc) from exc
        except (URLError, OSError, SlackClientError) as exc:
            raise SourceUnavailableError(
                f"could not reach Slack at {self.api_url} ({method}): {type(exc).__name__}"
            ) from exc
        data = response.data
        if not isinstance(data, dict):
            raise SlackAPIError(f"Slack answered {method} without JSON", error="not_json")
        return data, response.headers

    def call(self, method: str, **params: Any) -> JSONObject:
        """One Web API call's data (`ok` checked)."""
        return self.call_with_headers(method, **params)[0]

    def pages(self, method: str, key: str, **params: Any) -> Iterator[list[Any]]:
        """The items under `key` of every page of a cursor-paged method
        (`response_metadata.next_cursor`), `limit` items at a time."""
        cursor: str | None = None
        while True:
            data = self.call(method, limit=self.settings.page_size, cursor=cursor, **params)
            items = data.get(key) or []
            yield list(items) if isinstance(items, list) else []
            metadata = data.get("response_metadata")
            cursor = metadata.get("next_cursor") if isinstance(metadata, dict) else None
            if not cursor:
                return

    def _error(self, method: str, exc: SlackApiError) -> ConnectorError:
        response = exc.response
        data = response.data if isinstance(response.data, dict) else {}
        error = str(data.get("error") or f"HTTP {response.status_code}")
        status = int(response.status_code)
        if status == 429 or status >= 500 or error in _TRANSIENT:
            wait = retry_after_seconds(_header(response.headers, "retry-after"), time.time())
            what = "rate limit" if status == 429 or error == "ratelimited" else "error"
            return SourceUnavailableError(
                f"Slack {what} on {method} ({error}) after retrying; trying again later",
                retry_after_s=wait,
            )
        if error == "missing_scope":
            needed = str(data.get("needed") or "unknown")
            return SourceConfigError(
                f"the Slack token in {self.token_env} lacks the scope {needed} (needed for "
                f"{method}): add it under OAuth & Permissions and reinstall the app"
            )
        if error in _AUTH_ERRORS or status in (401, 403):
            return SourceConfigError(
                f"Slack rejected the token in {self.token_env} ({error}): set "
                f"{self.token_env} to the app's bot token (xoxb-...)"
            )
        if error in _CHANNEL_GONE:
            return SlackChannelGoneError(
                f"Slack refused {method} ({error}): the channel is gone or the bot is not in it",
                error=error,
            )
        return SlackAPIError(f"Slack refused {method}: {error}", error=error)
