"""Engines and sessions for the application database: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from sourcesync.db.errors import UnsupportedDatabaseError

DEFAULT_DATABASE_URL = "sqlite:///.sourcesync/sourcesync.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
SUPPORTED_DIALECTS = ("sqlite", "postgresql")


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolOptions:
    """PostgreSQL's connection pool, per engine (each process has two: writes and reads).

    Replicas multiply it: keep ``replicas x 2 x (pool_size + max_overflow)`` below the
    server's ``max_connections`` (or put PgBouncer in front). SQLite has no pool to size.
    """

    pool_size: int = 5
    max_overflow: int = 10
    pool_timeout_s: float = 30.0
    pool_recycle_s: int = 1800
    connect_timeout_s: int = 10


def create_db_engine(
    url: str | URL = DEFAULT_DATABASE_URL,
    *,
    echo: bool = False,
    read_only: bool = False,
    pool: PoolOptions | None = None,
) -> Engine:
    """Create an engine for ``url``; for a SQLite file, create its directory first.

    SQLite connections run in WAL mode with a busy timeout and enforced foreign keys, and
    every transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock up front, so
    concurrent writers queue on the busy timeout instead of failing with "database is locked"
    when a read-then-write transaction tries to upgrade its lock. A ``read_only`` engine is
    for transactions that never write: they begin deferred and, under WAL, read a snapshot
    without waiting for (or holding up) any writer.
    """
    parsed = make_url(url)
    dialect = parsed.get_backend_name()
    if dialect not in SUPPORTED_DIALECTS:
        raise UnsupportedDatabaseError(dialect)
    if dialect == "sqlite":
        _create_sqlite_directory(parsed)
        engine = create_engine(parsed, echo=echo)
        _configure_sqlite(engine, begin="BEGIN" if read_only else "BEGIN IMMEDIATE")
        return engine
    options = pool or PoolOptions()
    return create_engine(
        parsed,
        echo=echo,
        pool_pre_ping=True,
        pool_size=options.pool_size,
        max_overflow=options.max_overflow,
        pool_timeout=options.pool_timeout_s,
        pool_recycle=options.pool_recycle_s,
        connect_args={"connect_timeout": options.connect_timeout_s},
    )


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit (steps return them)."""
    return sessionmaker(engine, expire_on_commit=False)


def _create_sqlite_directory(url: URL) -> None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


WAL_SWITCH_ATTEMPTS = 100


def _switch_to_wal(cursor: Any) -> None:
    """Put the database in WAL mode (a no-op once it is).

    Two processes opening a new database at once can both try to switch it, and SQLite
    answers one of them "locked" at once (the busy timeout does not apply to a switch that
    could deadlock); by the time it asks again the other has switched it.
    """
    for attempt in range(WAL_SWITCH_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == WAL_SWITCH_ATTEMPTS - 1:
                raise
            time.sleep(0.05)


def _configure_sqlite(engine: Engine, begin: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy: pysqlite would otherwise BEGIN (deferred)
        # on its own before DML and never before SELECT or DDL.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            _switch_to_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)
