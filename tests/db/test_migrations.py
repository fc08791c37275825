from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata, produce_migrations, render_python_code
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from sourcesync.db import (
    Base,
    Workspace,
    alembic_config,
    create_db_engine,
    create_session_factory,
    upgrade_to_head,
)
from sourcesync.db.migrate import HEAD_REVISION, render_item


def _head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_the_head_revision_constant_is_alembics_head() -> None:
    # upgrade_to_head skips Alembic for a database at HEAD_REVISION: a new migration must
    # move it, or databases would never be upgraded to that migration.
    assert _head() == HEAD_REVISION


def _current_revision(url: str) -> str | None:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def _schema_diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, Base.metadata))


def _schema_fingerprint(connection: Connection) -> dict[str, Any]:
    """Everything reflection sees of the app's tables, including what autogenerate ignores
    (CHECK constraints, ON DELETE rules)."""
    inspector = inspect(connection)
    fingerprint = {}
    for table in sorted(Base.metadata.tables):
        fingerprint[table] = {
            "columns": [
                (column["name"], str(column["type"]), column["nullable"], column["default"])
                for column in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table),
            "foreign_keys": sorted(
                (fk["name"], fk["constrained_columns"], fk["referred_table"], fk["options"])
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (index["name"], index["column_names"], index["unique"])
                for index in inspector.get_indexes(table)
            ),
            "unique": sorted(
                (unique["name"], unique["column_names"])
                for unique in inspector.get_unique_constraints(table)
            ),
            "checks": sorted(
                (check["name"], check["sqltext"])
                for check in inspector.get_check_constraints(table)
            ),
        }
    return fingerprint


def test_upgrade_creates_every_table_and_records_the_head(database_url: str) -> None:
    upgrade_to_head(database_url)

    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    assert _current_revision(database_url) == _head() is not None


def test_upgrade_is_idempotent_and_keeps_data(database_url: str) -> None:
    upgrade_to_head(database_url)
    engine = create_db_engine(database_url)
    try:
        with create_session_factory(engine).begin() as session:
            session.add(Workspace(id="ws_keep", name="keep"))

        upgrade_to_head(database_url)
        upgrade_to_head(database_url)

        with create_session_factory(engine)() as session:
            assert session.get(Workspace, "ws_keep") is not None
    finally:
        engine.dispose()
    assert _current_revision(database_url) == _head()


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        assert _schema_diff(connection) == []


def test_model_comparison_detects_a_missing_index(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_jobs_status"))
    with engine.connect() as connection:
        diff = _schema_diff(connection)
    assert [(change[0], change[1].name) for change in diff] == [("add_index", "ix_jobs_status")]


def test_migrated_schema_equals_the_schema_the_models_create(engine: Engine) -> None:
    with engine.connect() as connection:
        migrated = _schema_fingerprint(connection)
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE alembic_version"))
        Base.metadata.create_all(connection)
    with engine.connect() as connection:
        created = _schema_fingerprint(connection)
    assert migrated == created
    assert migrated["jobs"]["checks"], "CHECK constraints were not reflected"


def test_concurrent_upgrades_in_threads_apply_the_migrations_once(database_url: str) -> None:
    workers = 4
    barrier = threading.Barrier(workers)

    def upgrade(_: int) -> None:
        barrier.wait()
        upgrade_to_head(database_url)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(upgrade, range(workers)))
    assert _current_revision(database_url) == _head()


UPGRADE_AT = """
import sys, time
from sourcesync.db import upgrade_to_head
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
upgrade_to_head(sys.argv[1])
"""


def test_concurrent_upgrades_in_processes_apply_the_migrations_once(database_url: str) -> None:
    # The processes sleep until a common instant so that their upgrades overlap.
    start_at = str(time.time() + 3)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", UPGRADE_AT, database_url, start_at],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    failures = [
        process.stderr.read() if process.stderr else ""
        for process in processes
        if process.wait(timeout=90) != 0
    ]
    assert failures == []
    assert _current_revision(database_url) == _head()


def test_downgrade_to_base_and_upgrade_again(database_url: str) -> None:
    upgrade_to_head(database_url)
    engine = create_db_engine(database_url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()
    upgrade_to_head(database_url)
    assert _current_revision(database_url) == _head()


def test_new_revisions_render_app_column_types_as_plain_types(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with engine.connect() as connection:
            operations = produce_migrations(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert operations.upgrade_ops is not None
    code = render_python_code(operations.upgrade_ops, render_item=render_item)
    assert "sa.DateTime(timezone=True)" in code
    assert "sourcesync" not in code


def test_offline_mode_renders_the_sql(capsys: pytest.CaptureFixture[str]) -> None:
    config = alembic_config()
    config.set_main_option("sqlalchemy.url", "postgresql+psycopg://")
    command.upgrade(config, "head", sql=True)
    sql = capsys.readouterr().out
    assert "CREATE TABLE job_batches" in sql
    assert "CONSTRAINT ck_jobs_job_status CHECK" in sql
    assert f"version_num='{_head()}'" in sql
