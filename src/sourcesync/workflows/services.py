"""What the workflow functions work with: database, vector store, embedder, settings.

Built once per process from settings and handed to ``create_functions``; tests build it
with their own parts (a fake embedder, a temporary store).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from sourcesync.db import PoolOptions, create_db_engine, create_session_factory, upgrade_to_head
from sourcesync.settings import Settings, VectorBackend

if TYPE_CHECKING:
    from sourcesync.embeddings import Embedder
    from sourcesync.observability import AppMetrics
    from sourcesync.stores import VectorStore

P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class Services:
    """The database, the vector store, the embedder and the metrics of a process.

    The store, the embedder and the metrics are made on first use, so a command that only
    reads the database (``sourcesync jobs``) never imports them; ``from_settings`` makes the
    store and the embedder at once unless told otherwise, so a setting that cannot work
    fails at start.
    """

    settings: Settings
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]

    _vectors: VectorStore | None = field(init=False, repr=False, default=None)
    _embedder: Embedder | None = field(init=False, repr=False, default=None)
    _metrics: AppMetrics | None = field(init=False, repr=False, default=None)
    _making: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)
    _writer: contextlib.AbstractContextManager[Any] = field(
        init=False, repr=False, default_factory=contextlib.nullcontext
    )

    def __post_init__(self) -> None:
        bind = self.sessions.kw.get("bind")
        if bind is not None and bind.dialect.name == "sqlite":
            # SQLite has one writer at a time, and a writer that finds the database locked
            # sleeps and tries again (the busy timeout): with ten batches writing at once
            # under load, one could lose every try for 30 s and fail "database is locked".
            # The process's writers queue on this lock instead, and are handed the database
            # in turn; the busy timeout is left for other processes' writers.
            self._writer = threading.RLock()

    @classmethod
    def from_settings(cls, settings: Settings, *, database_only: bool = False) -> Services:
        """Open everything the settings name; apply database migrations first.

        ``database_only``: open the database only; the store and the embedder are made if
        and when they are first used.
        """
        settings.home.mkdir(parents=True, exist_ok=True)
        url = settings.resolved_database_url
        upgrade_to_head(url)
        pool = pool_options(settings)
        services = cls(
            settings=settings,
            sessions=create_session_factory(create_db_engine(url, pool=pool)),
            read_sessions=create_session_factory(create_db_engine(url, read_only=True, pool=pool)),
        )
        if not database_only:
            services.open_stores()
        return services

    def open_stores(self) -> None:
        """Make the vector store and the embedder now (each is made once)."""
        _ = self.vectors, self.embedder

    @property
    def vectors(self) -> VectorStore:
        with self._making:
            if self._vectors is None:
                self._vectors = create_vector_store(self.settings)
            return self._vectors

    @property
    def embedder(self) -> Embedder:
        with self._making:
            if self._embedder is None:
                self._embedder = create_embedder(self.settings)
            return self._embedder

    @embedder.setter
    def embedder(self, embedder: Embedder) -> None:
        with self._making:
            self._embedder = embedder

    @property
    def metrics(self) -> AppMetrics:
        with self._making:
            if self._metrics is None:
                from sourcesync.observability import AppMetrics

                self._metrics = AppMetrics()
                self._metrics.read_database(self.reading)
            return self._metrics

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits together (or not at all)."""
        with self._writer, self.sessions() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only: it never waits for the writers' lock."""
        with self.read_sessions() as session, session.begin():
            yield session

    async def in_thread(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run blocking work (database, git) off the event loop."""
        return await asyncio.to_thread(function, *args, **kwargs)


class MissingSecretError(RuntimeError):
    """A setting names an environment variable that holds no value."""


def pool_options(settings: Settings) -> PoolOptions:
    return PoolOptions(
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout_s=settings.db_pool_timeout_seconds,
        pool_recycle_s=settings.db_pool_recycle_seconds,
        connect_timeout_s=settings.db_connect_timeout_seconds,
    )


def create_vector_store(settings: Settings) -> VectorStore:
    """The store ``SOURCESYNC_VECTOR_STORE`` selects: a LanceDB directory, or Pinecone."""
    from sourcesync.stores import LanceDBVectorStore, PineconeConfig, PineconeVectorStore

    if settings.vector_backend == VectorBackend.LANCEDB:
        return LanceDBVectorStore(settings.resolved_vector_store)
    key_env = settings.pinecone_api_key_env
    api_key = os.environ.get(key_env, "")
    if not api_key:
        raise MissingSecretError(
            f"SOURCESYNC_VECTOR_STORE=pinecone needs Pinecone's API key in ${key_env} "
            f"({Settings.env_name('pinecone_api_key_env')} names that variable)"
        )
    return PineconeVectorStore(
        PineconeConfig(
            api_key=api_key,
            index=settings.pinecone_index,
            cloud=settings.pinecone_cloud,
            region=settings.pinecone_region,
            control_host=settings.pinecone_host,
            concurrency=settings.pinecone_concurrency,
            # Only the embedding cache is local: a cache, so each machine keeps its own.
            cache_dir=settings.resolved_vector_store,
        )
    )


def create_embedder(settings: Settings) -> Embedder:
    from sourcesync.embeddings import LocalEmbedder, OnnxEmbedder, OpenAICompatibleEmbedder

    if settings.embedder == "openai":
        return OpenAICompatibleEmbedder(
            base_url=settings.embeddings_url,
            model=settings.embeddings_model,
            dimension=settings.embeddings_dimension,
            api_key_env=settings.embeddings_api_key_env,
        )
    if settings.embedder == "local-torch":
        return LocalEmbedder()
    return OnnxEmbedder(cache_dir=settings.model_cache)
