"""What the workflow functions work with: database, vector store, embedder, settings.

Built once per process from settings and handed to ``create_functions``; tests build it
with their own parts (a fake embedder, a temporary store).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from sourcesync.db import create_db_engine, create_session_factory, upgrade_to_head
from sourcesync.embeddings import (
    Embedder,
    LocalEmbedder,
    OnnxEmbedder,
    OpenAICompatibleEmbedder,
)
from sourcesync.settings import Settings
from sourcesync.stores import LanceDBVectorStore, VectorStore

P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class Services:
    settings: Settings
    sessions: sessionmaker[Session]
    vectors: VectorStore
    embedder: Embedder
    read_sessions: sessionmaker[Session]

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        """Open everything the settings name; apply database migrations first."""
        settings.home.mkdir(parents=True, exist_ok=True)
        url = settings.resolved_database_url
        upgrade_to_head(url)
        return cls(
            settings=settings,
            sessions=create_session_factory(create_db_engine(url)),
            vectors=LanceDBVectorStore(settings.resolved_vector_store),
            embedder=create_embedder(settings),
            read_sessions=create_session_factory(create_db_engine(url, read_only=True)),
        )

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits together (or not at all)."""
        with self.sessions() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only: it never waits for the writers' lock."""
        with self.read_sessions() as session, session.begin():
            yield session

    async def in_thread(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run blocking work (database, git) off the event loop."""
        return await asyncio.to_thread(function, *args, **kwargs)


def create_embedder(settings: Settings) -> Embedder:
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
