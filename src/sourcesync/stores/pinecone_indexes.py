"""The two Pinecone indexes a store uses: made or checked, their hosts, their clients.

`{index}` holds the vectors (serverless, cosine, the embedder's dimension) and
`{index}-keywords` the sparse keyword vectors. Whatever this looks up (hosts, the dimension)
is a cache of what Pinecone says: any process can start using the indexes, ensured by it
or by another replica.
"""

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sourcesync.stores.errors import (
    DimensionMismatchError,
    IndexMismatchError,
    NamespaceNotFoundError,
)

if TYPE_CHECKING:
    from pinecone import AsyncIndex, AsyncPinecone

__all__ = ["PineconeConfig", "PineconeIndexes"]

_KEYWORDS_SUFFIX = "-keywords"


@dataclass(frozen=True, slots=True, kw_only=True)
class PineconeConfig:
    """Where the indexes are and how to reach them (the API key's value, not its name)."""

    api_key: str
    index: str = "sourcesync"
    cloud: str = "aws"
    region: str = "us-east-1"
    control_host: str | None = None
    """The control plane's URL; None is Pinecone's own (a local emulator sets one)."""
    concurrency: int = 8
    """Requests in flight at once, per call."""
    cache_dir: Path = Path(".sourcesync/vector-cache")


class PineconeIndexes:
    """The vector and keyword indexes of one configuration."""

    def __init__(self, config: PineconeConfig) -> None:
        self._config = config
        self.vectors = config.index
        self.keywords = config.index + _KEYWORDS_SUFFIX
        self._hosts: dict[str, str] = {}
        self._dimension: int | None = None
        # Async clients belong to the event loop that made them; the app runs on several.
        self._clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, AsyncIndex]
        ] = weakref.WeakKeyDictionary()

    async def ensure(self, namespace: str, dimension: int) -> None:
        """Create or check both indexes; refuse one of another kind, dimension or metric."""
        async with self._control() as control:
            dense = await self._describe_or_create(control, self.vectors, dimension)
            field = dense.schema.fields.get("_values")
            found = getattr(field, "dimension", None)
            metric = getattr(field, "metric", None)
            if found is None or metric != "cosine":
                raise IndexMismatchError(
                    f"Pinecone index {self.vectors!r} is not a dense index with the cosine "
                    f"metric (it has {dense.schema.fields!r}); set SOURCESYNC_PINECONE_INDEX "
                    "to a new index name, or delete this one"
                )
            if found != dimension:
                raise DimensionMismatchError(
                    f"{namespace} (Pinecone index {self.vectors!r})",
                    found,
                    dimension,
                    what="the embedding model's vector",
                )
            keywords = await self._describe_or_create(control, self.keywords, None)
            if "_sparse_values" not in keywords.schema.fields:
                raise IndexMismatchError(
                    f"Pinecone index {self.keywords!r} is not a sparse index; delete it "
                    "or choose another SOURCESYNC_PINECONE_INDEX"
                )
        self._dimension = dimension

    async def dimension(self) -> int:
        """The vector index's dimension, asked once."""
        if self._dimension is None:
            model = await self._describe(self.vectors)
            self._dimension = int(model.schema.fields["_values"].dimension)
        return self._dimension

    async def client(self, name: str) -> "AsyncIndex":
        """This event loop's client of an index (its host is looked up once)."""
        clients = self._clients.setdefault(asyncio.get_running_loop(), {})
        client = clients.get(name)
        if client is None:
            from pinecone import AsyncIndex

            if name not in self._hosts:
                self._hosts[name] = (await self._describe(name)).host
            client = AsyncIndex(host=self._hosts[name], api_key=self._config.api_key)
            clients[name] = client
        return client

    async def check_reachable(self) -> None:
        """Pinecone's control plane answers with the vector index (it exists, the key works)."""
        await self._describe(self.vectors)

    async def _describe(self, name: str) -> Any:
        from pinecone import NotFoundError

        async with self._control() as control:
            try:
                return await control.describe_index(name)
            except NotFoundError:
                raise NamespaceNotFoundError(f"(Pinecone index {name!r})") from None

    async def _describe_or_create(
        self, control: "AsyncPinecone", name: str, dimension: int | None
    ) -> Any:
        from pinecone import ConflictError, NotFoundError, ServerlessSpec

        try:
            model = await control.describe_index(name)
        except NotFoundError:
            spec = ServerlessSpec(cloud=self._config.cloud, region=self._config.region)
            try:
                if dimension is None:
                    model = await control.create_index(
                        name=name, spec=spec, vector_type="sparse", metric="dotproduct"
                    )
                else:
                    model = await control.create_index(
                        name=name, spec=spec, dimension=dimension, metric="cosine"
                    )
            except ConflictError:  # another replica created it since we looked
                model = await control.describe_index(name)
        if model.host:
            self._hosts[name] = model.host
        return model

    @contextlib.asynccontextmanager
    async def _control(self) -> AsyncIterator["AsyncPinecone"]:
        from pinecone import AsyncPinecone

        async with AsyncPinecone(
            api_key=self._config.api_key, host=self._config.control_host
        ) as control:
            yield control
