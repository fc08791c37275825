"""``INSERT ... ON CONFLICT`` for the two supported databases.

SQLite and PostgreSQL spell it the same way, and SQLAlchemy offers it per dialect; this picks
the dialect of the session's connection so queries stay single statements (no read-then-write
races) on both.
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sourcesync.db.errors import UnsupportedDatabaseError
from sourcesync.db.models import Base

Upsert = postgresql.Insert | sqlite.Insert


def upsert_into(session: Session, model: type[Base]) -> Upsert:
    """An INSERT into ``model``'s table that supports ``on_conflict_do_*``."""
    return insert_for(dialect_of(session), model)


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def insert_for(dialect: str, model: type[Base] | Table) -> Upsert:
    """An INSERT with ``on_conflict_do_*`` for the dialect named, into ``model``'s table or a
    table (a Core statement: its parameter sets skip the ORM's per-row work)."""
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise UnsupportedDatabaseError(dialect)
