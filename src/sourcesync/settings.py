"""Every setting, read from ``SOURCESYNC_*`` environment variables (or a ``.env`` file).

Nothing here needs setting for the embedded defaults: data lives under ``.sourcesync/``
in the current directory (``SOURCESYNC_HOME``), the workflows run on the embedded engine,
vectors go to LanceDB and embeddings come from the local all-MiniLM-L6-v2 model.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "SOURCESYNC_"


class VectorBackend(StrEnum):
    """Where vectors are kept: what ``SOURCESYNC_VECTOR_STORE`` selects."""

    LANCEDB = "lancedb"
    """A LanceDB directory on this machine (the default)."""
    PINECONE = "pinecone"
    """Pinecone: one serverless index, a namespace per store; app replicas share it."""


class Settings(BaseSettings):
    # Extra keyword arguments are sources' settings (see ``source_url``).
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", extra="allow")

    home: Path = Field(default=Path(".sourcesync"), description="Where local data lives.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite at HOME/sourcesync.db."
    )
    vector_store: str | None = Field(
        default=None,
        description="`pinecone`, or a LanceDB directory; default: the directory HOME/vectors.",
    )
    pinecone_index: str = Field(
        default="sourcesync",
        description="Pinecone's serverless index (and INDEX-keywords beside it), made if missing.",
    )
    pinecone_api_key_env: str = Field(
        default="PINECONE_API_KEY", description="NAME of the env var holding Pinecone's API key."
    )
    pinecone_cloud: str = Field(default="aws", description="Cloud of a new Pinecone index.")
    pinecone_region: str = Field(default="us-east-1", description="Region of a new index.")
    pinecone_host: str | None = Field(
        default=None,
        description="Pinecone's control-plane URL; default: Pinecone's own (a local emulator "
        "sets its URL here).",
    )
    pinecone_concurrency: int = Field(
        default=8, ge=1, le=64, description="Pinecone requests in flight at once, per write."
    )
    db_pool_size: int = Field(
        default=5, ge=1, description="PostgreSQL connections each process keeps open."
    )
    db_max_overflow: int = Field(
        default=10, ge=0, description="PostgreSQL connections opened past the pool under load."
    )
    db_pool_timeout_seconds: float = Field(
        default=30.0, gt=0, description="How long a request waits for a pooled connection."
    )
    db_pool_recycle_seconds: int = Field(
        default=1800, ge=1, description="Connections older than this are replaced."
    )
    db_connect_timeout_seconds: int = Field(
        default=10, ge=1, description="How long opening a PostgreSQL connection may take."
    )
    workspace: str = Field(default="default", description="Workspace of CLI commands.")
    engine: Literal["embedded", "inngest"] = Field(
        default="embedded", description="Run workflows on the embedded engine or on Inngest."
    )
    engine_port: int = Field(default=8288, description="Port of the embedded engine's APIs.")
    engine_retention_days: int = Field(
        default=7, ge=1, description="Finished runs and their events are kept this long."
    )
    api_port: int = Field(default=8000, description="Port of `sourcesync serve`.")
    embedder: Literal["local", "local-torch", "openai"] = Field(
        default="local",
        description="local: all-MiniLM-L6-v2 on ONNX Runtime (int8); local-torch: the same "
        "model on sentence-transformers (GPUs); openai: an OpenAI-compatible endpoint.",
    )
    model_cache: Path | None = Field(
        default=None,
        description="Where the ONNX export of the local model is kept; default: in the venv.",
    )
    embeddings_url: str = Field(
        default="https://api.openai.com/v1", description="Base URL of the embeddings endpoint."
    )
    embeddings_model: str = Field(default="text-embedding-3-small")
    embeddings_dimension: int = Field(default=1536)
    embeddings_api_key_env: str = Field(
        default="OPENAI_API_KEY", description="NAME of the env var holding the API key."
    )
    batch_size: int = Field(default=50, ge=1, le=50, description="Files per batch.")
    batch_concurrency: int = Field(default=10, ge=1, description="Parallel batches per workspace.")
    max_file_bytes: int = Field(default=1_000_000, ge=1, description="Larger files are skipped.")
    stall_after_seconds: int = Field(
        default=60, ge=1, description="A call unanswered this long shows the job as stalled."
    )
    webhook_debounce_seconds: int = Field(
        default=5, ge=1, description="A burst of webhook deliveries makes one sync."
    )
    sync_timeout_minutes: int = Field(
        default=24 * 60,
        ge=1,
        description="A whole sync ends failed past this; a day, so a first sync of a 100,000-"
        "file repository at CPU embedding speed (hours) finishes.",
    )
    files_batch_timeout_minutes: int = Field(
        default=5, ge=1, description="Fetching one batch of files (the original design's 5 min)."
    )
    documents_timeout_minutes: int = Field(
        default=20,
        ge=1,
        description="Embedding one batch of documents (the original design's 20 min).",
    )
    metrics_token_env: str | None = Field(
        default=None,
        description="NAME of the env var holding the bearer token /metrics asks for; unset: "
        "/metrics is not served.",
    )

    @classmethod
    def env_name(cls, field: str) -> str:
        """The environment variable that sets ``field``: what a message tells a user to set."""
        if field not in cls.model_fields:
            raise KeyError(f"no setting {field!r}")
        return f"{ENV_PREFIX}{field.upper()}"

    def source_url(self, source_type: str, key: str, default: str) -> str:
        """A source's API base URL ``key`` (``api_url``): ``SOURCESYNC_{TYPE}_{KEY}``, given
        to ``Settings({type}_api_url=...)`` or in the environment, else ``default``.

        Sources declare their own URLs (so Enterprise hosts and test fakes work for every
        source without a field here for each).
        """
        name = f"{source_type}_{key}".lower()
        given = (self.model_extra or {}).get(name)
        if given is None:
            given = os.environ.get(f"SOURCESYNC_{name.upper()}")
        return str(given) if given else default

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'sourcesync.db').resolve()}"

    @property
    def vector_backend(self) -> VectorBackend:
        if self.vector_store == VectorBackend.PINECONE:
            return VectorBackend.PINECONE
        return VectorBackend.LANCEDB

    @property
    def resolved_vector_store(self) -> Path:
        """The LanceDB directory (with Pinecone: this machine's embedding cache beside it)."""
        if self.vector_store and self.vector_backend == VectorBackend.LANCEDB:
            return Path(self.vector_store)
        return self.home / "vectors"

    @property
    def engine_state(self) -> Path:
        return self.home / "engine.db"
