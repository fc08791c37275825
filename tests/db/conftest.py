"""Every database test runs twice: on a SQLite file and on a fresh PostgreSQL schema.

PostgreSQL is the one at 127.0.0.1:5432 (database ``test``, user ``postgres`` or ``root``).
When it cannot be reached its variant is skipped, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from sourcesync.db import (
    Job,
    JobTrigger,
    Source,
    SyncMode,
    add_source,
    create_db_engine,
    create_job,
    create_session_factory,
    ensure_default_workspace,
    upgrade_to_head,
)
from tests.postgres import fresh_schema, reachable_postgres_url


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    return reachable_postgres_url()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sourcesync.db'}"
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    with fresh_schema(admin_url) as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade_to_head(database_url)
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return create_session_factory(engine)


@pytest.fixture
def workspace_id(sessions: sessionmaker[Session]) -> str:
    with sessions.begin() as session:
        return ensure_default_workspace(session).id


@pytest.fixture
def source(sessions: sessionmaker[Session], workspace_id: str) -> Source:
    with sessions.begin() as session:
        return add_source(
            session,
            workspace_id,
            name="acme-docs",
            type="github",
            config={"repository": "acme/docs", "token_env": "GITHUB_TOKEN"},
        )


@pytest.fixture
def job(sessions: sessionmaker[Session], source: Source) -> Job:
    with sessions.begin() as session:
        return create_job(
            session,
            workspace_id=source.workspace_id,
            source_id=source.id,
            trigger=JobTrigger.CLI,
            mode=SyncMode.FULL,
        )
