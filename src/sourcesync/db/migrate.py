"""Bring the application database to the newest schema; safe to call on every start."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import URL, Connection, text
from sqlalchemy.exc import DBAPIError

from sourcesync.db.column_types import UTCDateTime
from sourcesync.db.session import DEFAULT_DATABASE_URL, create_db_engine

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

HEAD_REVISION = "0004"
"""The newest migration's revision (a test holds it to Alembic's head): a database already
there is checked with one query, without importing Alembic (a third of a CLI command's
start-up)."""

# Any constant works; it only has to be the same in every sourcesync process.
_POSTGRES_MIGRATION_LOCK_KEY = 0x5352_4353_594E_43

# Alembic's ``context`` module is process-global, so two threads must not run it at once.
_alembic_lock = threading.Lock()


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for the package's migrations, built in code (no alembic.ini).

    With ``connection``, the migrations run on it, inside its transaction.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_to_head(url: str | URL = DEFAULT_DATABASE_URL) -> None:
    """Apply every migration not yet applied to the database at ``url``.

    All migrations run in one transaction that first takes a database-wide lock, so
    processes starting together apply them once: on SQLite the lock is the write lock
    ``BEGIN IMMEDIATE`` takes, on PostgreSQL a transaction-scoped advisory lock. Whoever
    comes second waits, then finds the schema at head and does nothing.
    """
    engine = create_db_engine(url)
    try:
        if _revision(engine.connect) == HEAD_REVISION:
            return
        from alembic import command

        with _alembic_lock, engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # Rebuilding a table (Alembic's batch mode) drops the old one, which with
                # enforced foreign keys would cascade-delete every row that refers to it.
                # SQLite ignores this pragma inside a transaction, so set it before one.
                connection.connection.dbapi_connection.execute(  # type: ignore[union-attr]
                    "PRAGMA foreign_keys = OFF"
                )
            with connection.begin():
                if not sqlite:
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"),
                        {"key": _POSTGRES_MIGRATION_LOCK_KEY},
                    )
                command.upgrade(alembic_config(connection), "head")
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("the migrations left rows whose foreign keys dangle")
    finally:
        engine.dispose()


def _revision(connect: Any) -> str | None:
    """The database's revision, None when it has none (new, or made before Alembic)."""
    try:
        with connect() as connection:
            return connection.scalar(text("SELECT version_num FROM alembic_version"))  # type: ignore[no-any-return]
    except DBAPIError:
        return None


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write the app's column types into new revisions as the plain types they store,
    so a revision never imports application code that may change after it."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
