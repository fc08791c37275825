"""Notion's REST API through the official ``notion-client`` (async), API version 2025-09-03.

One `NotionClient` serves one sync, on one event loop. Requests pass through
`ThrottledTransport`, which holds the integration's rate limit and retries; what still
fails is sorted for the caller: a refused token is `SourceConfigError` naming the variable,
an object the integration cannot see is `NotionNotFoundError`, rate limits and outages that
outlasted the retries are `SourceUnavailableError` (with ``retry_after_s`` when Notion said),
anything else is `NotionAPIError`. The token is read from the environment when the client is
made and never appears in reprs, logs or errors.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from notion_client import APIResponseError, AsyncClient
from notion_client.errors import HTTPResponseError, RequestTimeoutError

from ..errors import SourceConfigError, SourceUnavailableError
from ..retry_after import retry_after_seconds
from .errors import NotionAPIError, NotionNotFoundError
from .rate_limits import ThrottledTransport, limiter_for
from .settings import NOTION_VERSION, PAGE_SIZE, NotionSettings

__all__ = ["JSONObject", "NotionClient", "read_token"]

JSONObject = dict[str, Any]

_LOG = logging.getLogger(__name__)
_NOT_FOUND = frozenset({"object_not_found", "restricted_resource"})
_UNAVAILABLE_STATUSES = frozenset({409, 429, 500, 502, 503, 504})


def read_token(token_env: str) -> str:
    """The integration token in ``token_env``; `SourceConfigError` naming it when unset."""
    token = os.environ.get(token_env, "").strip()
    if not token:
        raise SourceConfigError(
            f"no Notion token: set the environment variable {token_env} to the internal "
            "integration secret (Notion > Settings > Connections > Develop or manage integrations)"
        )
    return token


class NotionClient:
    """The Notion endpoints the connector reads, each returning Notion's JSON."""

    def __init__(
        self,
        settings: NotionSettings,
        *,
        inner_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        token = read_token(settings.token_env)
        self.transport = ThrottledTransport(
            limiter_for(settings.api_url, token, settings.requests_per_second, settings.burst),
            max_retries=settings.max_retries,
            max_rate_limited=settings.max_rate_limited,
            backoff_s=settings.backoff_s,
            max_backoff_s=settings.max_backoff_s,
            inner=inner_transport,
        )
        self._notion = AsyncClient(
            client=httpx.AsyncClient(transport=self.transport),
            auth=token,
            base_url=settings.api_url.rstrip("/"),
            notion_version=NOTION_VERSION,
            timeout_ms=int(settings.timeout_s * 1000),
            retry=False,
            # Without a logger of ours, notion-client adds a console handler to its own
            # logger at every client made: one more per sync, for the life of the process.
            logger=_LOG,
            log_level=logging.WARNING,
        )
        self.requests = 0

    def __repr__(self) -> str:
        return f"NotionClient(api_url={self.settings.api_url!r}, token_env={self.settings.token_env!r})"

    async def aclose(self) -> None:
        await self._notion.aclose()

    async def me(self) -> JSONObject:
        """The integration's bot user (``users/me``): checks the token."""
        return await self._call(self._notion.users.me)

    async def search(self, object_type: str, start_cursor: str | None) -> JSONObject:
        """One page of search results of ``object_type`` (``page`` or ``data_source``),
        newest edit first."""
        body: JSONObject = {
            "filter": {"property": "object", "value": object_type},
            "sort": {"direction": "descending", "timestamp": "last_edited_time"},
            "page_size": PAGE_SIZE,
        }
        if start_cursor:
            body["start_cursor"] = start_cursor
        return await self._call(self._notion.search, **body)

    async def block_children(self, block_id: str, start_cursor: str | None) -> JSONObject:
        kwargs: JSONObject = {"block_id": block_id, "page_size": PAGE_SIZE}
        if start_cursor:
            kwargs["start_cursor"] = start_cursor
        return await self._call(self._notion.blocks.children.list, **kwargs)

    async def query_data_source(
        self, data_source_id: str, start_cursor: str | None, edited_since: str | None = None
    ) -> JSONObject:
        """One page of a data source's rows, oldest edit first; ``edited_since`` (ISO)
        keeps rows edited on or after it."""
        kwargs: JSONObject = {
            "data_source_id": data_source_id,
            "page_size": PAGE_SIZE,
            "sorts": [{"timestamp": "last_edited_time", "direction": "ascending"}],
        }
        if edited_since:
            kwargs["filter"] = {
                "timestamp": "last_edited_time",
                "last_edited_time": {"on_or_after": edited_since},
            }
        if start_cursor:
            kwargs["start_cursor"] = start_cursor
        return await self._call(self._notion.data_sources.query, **kwargs)

    async def page(self, page_id: str) -> JSONObject:
        return await self._call(self._notion.pages.retrieve, page_id=page_id)

    async def database(self, database_id: str) -> JSONObject:
        return await self._call(self._notion.databases.retrieve, database_id=database_id)

    async def data_source(self, data_source_id: str) -> JSONObject:
        return await self._call(self._notion.data_sources.retrieve, data_source_id=data_source_id)

    async def block(self, block_id: str) -> JSONObject:
        return await self._call(self._notion.blocks.retrieve, block_id=block_id)

    async def _call(self, endpoint: Callable[..., Awaitable[Any]], **kwargs: Any) -> JSONObject:
        self.requests += 1
        try:
            result = await endpoint(**kwargs)
        except APIResponseError as error:
            raise self._sorted(error) from error
        except HTTPResponseError as error:
            raise self._sorted(error) from error
        except (RequestTimeoutError, httpx.TransportError) as error:
            raise SourceUnavailableError(
                f"could not reach Notion at {self.settings.api_url}: {type(error).__name__}"
            ) from error
        if not isinstance(result, dict):
            raise NotionAPIError(
                "Notion answered with something other than an object", status=200, code=""
            )
        return result

    def _sorted(self, error: HTTPResponseError) -> Exception:
        code = str(getattr(error.code, "value", error.code))
        if error.status == 401 or code == "unauthorized":
            return SourceConfigError(
                f"Notion rejected the token in {self.settings.token_env} ({error}); set "
                f"{self.settings.token_env} to the secret of an internal integration that has "
                "access to the pages to sync"
            )
        if code in _NOT_FOUND or error.status == 404:
            return NotionNotFoundError(str(error))
        if error.status in _UNAVAILABLE_STATUSES:
            return SourceUnavailableError(
                f"Notion answered HTTP {error.status} ({code}) after retrying",
                retry_after_s=retry_after_seconds(error.headers.get("Retry-After"), time.time()),
            )
        return NotionAPIError(
            f"Notion refused the request: {error} ({code})", status=error.status, code=code
        )
