from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from sourcesync.db import (
    DEFAULT_DATABASE_URL,
    Source,
    UnsupportedDatabaseError,
    Workspace,
    create_db_engine,
)


def test_default_url_creates_the_database_under_dot_sourcesync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    engine = create_db_engine()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()
    assert DEFAULT_DATABASE_URL.endswith(".sourcesync/sourcesync.db")
    assert (tmp_path / ".sourcesync" / "sourcesync.db").is_file()


def test_sqlite_parent_directories_are_created(tmp_path: Path) -> None:
    database = tmp_path / "a" / "b" / "app.db"
    engine = create_db_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()
    assert database.is_file()


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        with engine.connect() as connection:
            pragmas = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "busy_timeout", "foreign_keys")
            }
    finally:
        engine.dispose()
    assert pragmas == {"journal_mode": "wal", "busy_timeout": 30_000, "foreign_keys": 1}


def test_other_databases_are_refused() -> None:
    with pytest.raises(UnsupportedDatabaseError, match="mysql"):
        create_db_engine("mysql+pymysql://user@localhost/db")


def test_timestamps_come_back_aware_in_utc(sessions: sessionmaker[Session]) -> None:
    created = datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    with sessions.begin() as session:
        session.add(Workspace(id="ws_tz", name="tz", created_at=created))
    with sessions() as session:
        stored = session.get(Workspace, "ws_tz")
        assert stored is not None
        assert stored.created_at.tzinfo is UTC
        assert stored.created_at == created


def test_naive_timestamps_are_refused(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(StatementError, match="naive datetime"), sessions.begin() as session:
        session.add(Workspace(id="ws_naive", name="naive", created_at=datetime(2024, 5, 1)))
        session.flush()


def test_foreign_keys_are_enforced(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(Source(workspace_id="no-such-workspace", name="x", type="git"))
        session.flush()


def test_deleting_a_workspace_cascades(
    engine: Engine, sessions: sessionmaker[Session], source: Source
) -> None:
    with sessions.begin() as session:
        workspace = session.get(Workspace, source.workspace_id)
        assert workspace is not None
        session.delete(workspace)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM sources")).scalar() == 0
