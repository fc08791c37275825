"""Fixtures for pipeline tests: a git repository built by the test, and a runtime."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from sourcesync import actions, db
from sourcesync.documents import scoped_document_id
from sourcesync.embeddings import Embedder, LocalEmbedder
from sourcesync.runtime import EmbeddedRuntime
from sourcesync.settings import Settings
from sourcesync.workflows.services import Services
from sourcesync.workflows.store_ensure import namespace_for

FAIL_MARKER = "FAIL-EMBED"


class FailingEmbedder:
    """The real local model, except that any text containing ``FAIL_MARKER`` fails."""

    def __init__(self, delegate: Embedder) -> None:
        self.delegate = delegate

    @property
    def model_name(self) -> str:
        return self.delegate.model_name

    @property
    def dimension(self) -> int:
        return self.delegate.dimension

    @property
    def max_tokens(self) -> int:
        return self.delegate.max_tokens

    def count_tokens(self, text: str) -> int:
        return self.delegate.count_tokens(text)

    def token_spans(self, text: str) -> Sequence[tuple[int, int]]:
        return self.delegate.token_spans(text)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if any(FAIL_MARKER in text for text in texts):
            raise RuntimeError("the embedding service rejected this text")
        return await self.delegate.embed(texts)


class Repo:
    """A git repository the test writes and commits to."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "test@example.com")
        self.git("config", "user.name", "Test")

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=self.path, check=True, capture_output=True, text=True
        ).stdout

    def write(self, relative: str, content: str | bytes) -> None:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)

    def commit(self, message: str = "change") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD").strip()


@dataclass
class SyncOutcome:
    job: dict[str, Any]
    completed: dict[str, Any]


class Harness:
    """A runtime on a temporary home, with helpers to sync and read the store."""

    def __init__(self, services: Services, runtime: EmbeddedRuntime) -> None:
        self.services = services
        self.runtime = runtime

    def api(self, token: str | None = None) -> httpx.AsyncClient:
        """A client of the app in process, with this machine's API token (or ``token``)."""
        secret = token or actions.local_api_token(self.services)
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.runtime.app),
            base_url="http://api",
            headers={"Authorization": f"Bearer {secret}"},
        )

    async def sync(self, source: str, *, full: bool = False) -> SyncOutcome:
        job, event = actions.queue_sync(self.services, source, full=full, trigger="cli")
        await self.runtime.send(event.name, event.to_data())
        engine = self.runtime.engine
        for _ in range(1200):
            for _, sent, _ in engine.state.list_events("apps-console/sync.completed", 100):
                if sent["data"]["jobId"] == job.id:
                    return SyncOutcome(actions.job_view(self.services, job.id), sent["data"])
            await asyncio.sleep(0.1)
        raise AssertionError(f"job {job.id} did not complete")

    async def chunks(self) -> dict[str, list[str]]:
        """Every chunk id in the store, by the name of its document within its source
        (``github:file:octo/widgets:README.md``)."""
        workspace = actions.workspace_id(self.services)
        namespace = namespace_for(workspace, self.services.embedder.model_name)
        vector = [0.0] * self.services.embedder.dimension
        vector[0] = 1.0
        try:
            hits = await self.services.vectors.query(namespace, workspace, vector, 100_000)
        except LookupError:
            return {}
        found: dict[str, list[str]] = {}
        for hit in hits:
            found.setdefault(self.name(hit.document_id), []).append(hit.id)
        return found

    @staticmethod
    def name(document_id: str) -> str:
        """A stored document id (``{source_id}:{name}``) without its source."""
        source_id, _, name = document_id.partition(":")
        assert source_id.startswith("src_"), document_id
        return name

    def scoped(self, name: str, source: str | None = None) -> str:
        """The stored id of document ``name`` of ``source`` (default: the only source)."""
        workspace = actions.workspace_id(self.services)
        with self.services.reading() as session:
            sources = db.list_sources(session, workspace)
        [row] = [s for s in sources if source in (None, s.name, s.id)]
        return scoped_document_id(row.id, name)

    def document(self, name: str, source: str | None = None) -> db.Document | None:
        workspace = actions.workspace_id(self.services)
        with self.services.transaction() as session:
            documents = db.get_documents(session, workspace, [self.scoped(name, source)])
        return documents[0] if documents else None


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


@asynccontextmanager
async def running_harness(
    tmp_path: Path, embedder: Embedder, **settings: Any
) -> AsyncIterator[Harness]:
    """A runtime on a temporary home, with these settings (source URLs, limits)."""
    options: dict[str, Any] = {"home": tmp_path / "home", "max_file_bytes": 4_000} | settings
    services = Services.from_settings(Settings(**options))
    services.embedder = FailingEmbedder(embedder)
    runtime = EmbeddedRuntime(services)
    await runtime.start()
    try:
        yield Harness(services, runtime)
    finally:
        await runtime.stop()


@pytest.fixture
async def harness(tmp_path: Path, local_embedder: LocalEmbedder) -> AsyncIterator[Harness]:
    async with running_harness(tmp_path, local_embedder) as running:
        yield running
