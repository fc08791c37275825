"""Migration 0002 on a database that 0001 made and a sync filled: sources of any type,
removal with history, and document ids moved under their source."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from sourcesync.db import alembic_config, create_db_engine, upgrade_to_head

NOW = "2026-11-29 10:00:00+00:00"
OLD_ID = "github:file:octo/widgets:README.md"


def _at_0001_with_a_synced_document(url: str) -> None:
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "0001")
            for statement, values in (
                ("INSERT INTO workspaces VALUES ('default', 'default', :now)", {}),
                (
                    "INSERT INTO sources (id, workspace_id, name, type, config, cursor, "
                    "created_at, updated_at) VALUES ('src_1', 'default', 'widgets', 'github', "
                    '\'{"repository": "octo/widgets"}\', \'{"commit": "abc"}\', :now, :now)',
                    {},
                ),
                (
                    "INSERT INTO jobs (id, workspace_id, source_id, status, trigger, mode, input, "
                    "created_at) VALUES ('job_1', 'default', 'src_1', 'completed', 'cli', "
                    "'full', '{}', :now)",
                    {},
                ),
                (
                    "INSERT INTO documents (workspace_id, id, source_id, title, status, "
                    "content_hash, embedded_hash, chunk_count, metadata, created_at, "
                    "updated_at) VALUES ('default', :old, 'src_1', 'README.md', 'processed', "
                    "'h', 'h', 2, '{}', :now, :now)",
                    {"old": OLD_ID},
                ),
                (
                    "INSERT INTO document_contents VALUES ('default', :old, 'hello', :now)",
                    {"old": OLD_ID},
                ),
                (
                    "INSERT INTO document_failures VALUES ('job_1', :old, 'embed', 'default', "
                    "'boom', :now)",
                    {"old": OLD_ID},
                ),
            ):
                connection.execute(text(statement), {"now": NOW, **values})
    finally:
        engine.dispose()


def test_document_ids_move_under_their_source_and_are_embedded_again(database_url: str) -> None:
    _at_0001_with_a_synced_document(database_url)

    upgrade_to_head(database_url)

    new_id = f"src_1:{OLD_ID}"
    engine = create_db_engine(database_url)
    try:
        with engine.begin() as connection:

            def rows(query: str) -> list[tuple[object, ...]]:
                return [tuple(row) for row in connection.execute(text(query))]

            assert rows("SELECT id, status, embedded_hash, chunk_count FROM documents") == [
                (new_id, "pending", None, 0)
            ]
            assert rows("SELECT document_id, content FROM document_contents") == [(new_id, "hello")]
            assert rows("SELECT document_id FROM document_failures") == [(new_id,)]
            assert rows("SELECT workspace_id, document_id FROM retired_document_ids") == [
                ("default", OLD_ID)
            ]
            # The next sync is full, so it embeds the documents under their new ids.
            assert rows("SELECT cursor FROM sources") == [(None,)]
            assert rows("SELECT id FROM jobs") == [("job_1",)]
    finally:
        engine.dispose()


def test_any_source_type_is_stored_and_a_removed_source_frees_its_name(
    database_url: str,
) -> None:
    _at_0001_with_a_synced_document(database_url)
    upgrade_to_head(database_url)

    engine = create_db_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE sources SET removed_at = :now WHERE id = 'src_1'"), {"now": NOW}
            )
            connection.execute(
                text(
                    "INSERT INTO sources (id, workspace_id, name, type, config, created_at, "
                    "updated_at) VALUES ('src_2', 'default', 'widgets', 'rss', '{}', :now, :now)"
                ),
                {"now": NOW},
            )
            names = connection.execute(text("SELECT id, type FROM sources ORDER BY id")).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in names] == [("src_1", "github"), ("src_2", "rss")]
