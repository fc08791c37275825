"""Cursor paging over Linear connections (`first`/`after`, `pageInfo { hasNextPage endCursor }`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .client import JSONObject, LinearClient
from .errors import LinearAPIError

__all__ = ["complete_connection", "iter_pages"]


def iter_pages(
    client: LinearClient,
    query: str,
    variables: Mapping[str, object],
    *,
    path: Sequence[str],
    page_size: int,
    after: str | None = None,
) -> Iterator[list[JSONObject]]:
    """Yield the nodes of the connection at `path` in `query`'s data, one page at a time.

    `query` must take `$first` and `$after`; paging starts after the cursor `after`.
    """
    while True:
        data = client.execute(query, {**variables, "first": page_size, "after": after})
        connection = _connection_at(data, path)
        yield list(connection["nodes"])
        page_info = connection["pageInfo"]
        if not page_info["hasNextPage"]:
            return
        if not page_info.get("endCursor") or page_info["endCursor"] == after:
            # Asking again with the same cursor would loop forever.
            raise LinearAPIError(
                f"Linear reported more {'.'.join(path)} without a new endCursor",
                status_code=200,
            )
        after = page_info["endCursor"]


def complete_connection(
    client: LinearClient,
    connection: Mapping[str, Any],
    query: str,
    variables: Mapping[str, object],
    *,
    path: Sequence[str],
    page_size: int,
) -> list[JSONObject]:
    """All nodes of a nested `connection` already fetched with its first page: the rest
    comes from `query` (the same connection on its own, see `queries.py`)."""
    nodes = list(connection["nodes"])
    page_info = connection["pageInfo"]
    if page_info["hasNextPage"]:
        for page in iter_pages(
            client,
            query,
            variables,
            path=path,
            page_size=page_size,
            after=page_info["endCursor"],
        ):
            nodes.extend(page)
    return nodes


def _connection_at(data: JSONObject, path: Sequence[str]) -> JSONObject:
    value: Any = data
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if not isinstance(value, dict) or "nodes" not in value or "pageInfo" not in value:
        raise LinearAPIError(
            f"Linear's answer has no connection at {'.'.join(path)}", status_code=200
        )
    return value
