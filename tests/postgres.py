"""The PostgreSQL at 127.0.0.1:5432 (database ``test``, user ``postgres`` or ``root``),
for tests that run on it: each gets a fresh schema. When it cannot be reached such a test
is skipped, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

POSTGRES_URL = "postgresql+psycopg://{user}@127.0.0.1:5432/test"
POSTGRES_USERS = ("postgres", "root")


def reachable_postgres_url() -> str:
    """The admin URL of the local PostgreSQL; skips (fails under CI) when there is none."""
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


@contextlib.contextmanager
def fresh_schema(admin_url: str) -> Iterator[str]:
    """A URL whose tables live in a new schema, dropped afterwards."""
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
