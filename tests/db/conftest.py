"""Every database test runs twice: on a SQLite file and on a fresh PostgreSQL schema.

PostgreSQL is the one at 127.0.0.1:5432 (database ``test``, user ``postgres`` or ``root``).
When it cannot be reached its variant is skipped, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError
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

POSTGRES_URL = "postgresql+psycopg://{user}@127.0.0.1:5432/test"
POSTGRES_USERS = ("postgres", "root")


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    failures = []
    for user in POSTGRES_USERS:
        url = POSTGRES_URL.format(user=user)
        engine = create_engine(url)
        try:
            with engine.connect():
                return url
        except OperationalError as error:
            failures.append(f"{user}: {error.orig}")
        finally:
            engine.dispose()
    message = "PostgreSQL at 127.0.0.1:5432 is unreachable: " + "; ".join(failures)
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sourcesync.db'}"
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    schema = f"sourcesync_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(admin_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(admin_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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
