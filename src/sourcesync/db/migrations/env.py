"""Alembic environment for the application database.

``sourcesync.db.migrate`` hands over an open connection (already holding the migration lock)
through ``config.attributes["connection"]``; the ``alembic`` command line, used to write new
revisions, connects to ``sqlalchemy.url`` from ``alembic.ini`` instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from sourcesync.db.migrate import render_item
from sourcesync.db.models import Base
from sourcesync.db.session import DEFAULT_DATABASE_URL, create_db_engine

config = context.config
target_metadata = Base.metadata


def _database_url() -> str:
    return config.get_main_option("sqlalchemy.url") or DEFAULT_DATABASE_URL


def _run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        _run_on(connection)
        return
    engine = create_db_engine(_database_url())
    try:
        with engine.connect() as new_connection:
            _run_on(new_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
