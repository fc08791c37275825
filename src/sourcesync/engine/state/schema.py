"""The state schema and its migrations, versioned with ``PRAGMA user_version``.

Version 1 is the schema of the engine before versions existed (such files hold it at
``user_version`` 0). A change to the schema is a new entry at the end of ``MIGRATIONS``;
opening a file applies the entries it lacks, each in its own transaction, so a column
added later reaches every existing state file.
"""

from __future__ import annotations

import sqlite3

from ..errors import StateVersionError

SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS apps (
    url TEXT PRIMARY KEY, app_id TEXT NOT NULL, sdk TEXT, framework TEXT,
    synced_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS functions (
    id TEXT PRIMARY KEY, app_url TEXT NOT NULL, config TEXT NOT NULL, cron_next_at INTEGER);
CREATE TABLE IF NOT EXISTS events (
    internal_id TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    body TEXT NOT NULL, received_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_name ON events(name, internal_id);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, function_id TEXT NOT NULL, status TEXT NOT NULL,
    event_ids TEXT NOT NULL, created_at INTEGER NOT NULL, started_at INTEGER,
    ended_at INTEGER, output TEXT, error TEXT, parent_run_id TEXT, parent_step_id TEXT,
    concurrency_keys TEXT NOT NULL DEFAULT '[]', priority_ms INTEGER NOT NULL DEFAULT 0,
    singleton_key TEXT, state_bytes INTEGER NOT NULL DEFAULT 0,
    start_deadline INTEGER);
CREATE INDEX IF NOT EXISTS runs_by_function ON runs(function_id, status);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs(status, id);
CREATE TABLE IF NOT EXISTS run_events (
    event_internal_id TEXT NOT NULL, run_id TEXT NOT NULL,
    PRIMARY KEY (event_internal_id, run_id));
CREATE TABLE IF NOT EXISTS steps (
    run_id TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, name TEXT NOT NULL,
    op TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    started_at INTEGER, ended_at INTEGER, memo TEXT, error TEXT, opts TEXT,
    PRIMARY KEY (run_id, id));
CREATE TABLE IF NOT EXISTS queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, kind TEXT NOT NULL,
    step_id TEXT, attempt INTEGER NOT NULL DEFAULT 0, run_at INTEGER NOT NULL,
    sort_at INTEGER NOT NULL, leased INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS queue_ready ON queue(leased, sort_at);
CREATE INDEX IF NOT EXISTS queue_by_run ON queue(run_id);
CREATE TABLE IF NOT EXISTS waits (
    run_id TEXT NOT NULL, step_id TEXT NOT NULL, event_name TEXT NOT NULL,
    expression TEXT, expires_at INTEGER NOT NULL, PRIMARY KEY (run_id, step_id));
CREATE INDEX IF NOT EXISTS waits_by_event ON waits(event_name);
CREATE TABLE IF NOT EXISTS debounces (
    function_id TEXT NOT NULL, key TEXT NOT NULL, event_internal_id TEXT NOT NULL,
    first_at INTEGER NOT NULL, fire_at INTEGER NOT NULL, PRIMARY KEY (function_id, key));
CREATE TABLE IF NOT EXISTS batches (
    function_id TEXT NOT NULL, key TEXT NOT NULL, event_ids TEXT NOT NULL,
    fire_at INTEGER NOT NULL, PRIMARY KEY (function_id, key));
CREATE TABLE IF NOT EXISTS flow_marks (
    kind TEXT NOT NULL, function_id TEXT NOT NULL, key TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS flow_marks_by_key ON flow_marks(kind, function_id, key, at);
CREATE TABLE IF NOT EXISTS throttles (
    function_id TEXT NOT NULL, key TEXT NOT NULL, tat INTEGER NOT NULL,
    PRIMARY KEY (function_id, key));
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

# Each entry upgrades the schema by one version; ``PRAGMA user_version`` records where a
# state file stands. Files written before versioning hold version 1's tables at 0.
MIGRATIONS: tuple[str, ...] = (
    SCHEMA_V1,
    "ALTER TABLE runs ADD COLUMN force_step_plan INTEGER NOT NULL DEFAULT 0;",
    # The dashboard links a run to the runs it invoked.
    "CREATE INDEX IF NOT EXISTS runs_by_parent ON runs(parent_run_id);",
)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection, path: str) -> None:
    """Bring the schema of ``db`` (in autocommit mode) to ``SCHEMA_VERSION``."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version == 0 and db.execute("SELECT 1 FROM sqlite_master WHERE name = 'runs'").fetchone():
        version = 1
    if version > SCHEMA_VERSION:
        raise StateVersionError(path, version, SCHEMA_VERSION)
    for number in range(version, SCHEMA_VERSION):
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[number].split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {number + 1}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
