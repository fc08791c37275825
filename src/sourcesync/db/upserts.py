"""``INSERT ... ON CONFLICT`` for the two supported databases.

SQLite and PostgreSQL spell it the same way, and SQLAlchemy offers it per dialect; this picks
the dialect of the session's connection so queries stay single statements (no read-then-write
races) on both.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sourcesync.db.errors import UnsupportedDatabaseError
from sourcesync.db.models import Base

Upsert = postgresql.Insert | sqlite.Insert


def upsert_into(session: Session, model: type[Base]) -> Upsert:
    """An INSERT into ``model``'s table that supports ``on_conflict_do_*``."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise UnsupportedDatabaseError(dialect)
