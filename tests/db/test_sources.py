from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sourcesync.db import (
    DEFAULT_WORKSPACE_ID,
    SecretInConfigError,
    Source,
    SourceNameTakenError,
    SourceNotFoundError,
    Store,
    StoreMismatchError,
    WorkspaceIdTakenError,
    add_source,
    ensure_default_workspace,
    ensure_store,
    ensure_workspace,
    get_source,
    get_workspace,
    list_sources,
    list_stores,
    list_workspaces,
    require_source,
    update_source_cursor,
)


def test_the_default_workspace_is_created_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        first = ensure_default_workspace(session)
    with sessions.begin() as session:
        second = ensure_default_workspace(session)
        other = ensure_workspace(session, "research")
        assert [workspace.name for workspace in list_workspaces(session)] == [
            "default",
            "research",
        ]
        assert get_workspace(session, other.id) is not None
    assert first.id == second.id == DEFAULT_WORKSPACE_ID
    assert other.id.startswith("ws_")


def test_a_workspace_id_cannot_be_reused_for_another_name(
    sessions: sessionmaker[Session], workspace_id: str
) -> None:
    with pytest.raises(WorkspaceIdTakenError, match=workspace_id), sessions.begin() as session:
        ensure_workspace(session, "impostor", workspace_id=workspace_id)


def test_a_source_is_found_by_id_or_by_name(
    sessions: sessionmaker[Session], workspace_id: str
) -> None:
    with sessions.begin() as session:
        added = add_source(
            session, workspace_id, name="tracker", type="linear", config={"team": "ENG"}
        )
    with sessions() as session:
        by_id = get_source(session, workspace_id, added.id)
        by_name = get_source(session, workspace_id, "tracker")
        assert by_id is not None
        assert by_name is not None
        assert by_id.id == by_name.id == added.id
        assert by_name.type == "linear"
        assert by_name.config == {"team": "ENG"}
        assert by_name.cursor is None
        assert get_source(session, workspace_id, "missing") is None
        with pytest.raises(SourceNotFoundError, match="missing"):
            require_source(session, workspace_id, "missing")


def test_an_id_match_wins_over_a_name_match(
    sessions: sessionmaker[Session], workspace_id: str
) -> None:
    with sessions.begin() as session:
        first = add_source(session, workspace_id, name="first", type="git")
        add_source(session, workspace_id, name=first.id, type="git")
    with sessions() as session:
        found = get_source(session, workspace_id, first.id)
        assert found is not None
        assert found.name == "first"


def test_sources_do_not_cross_workspaces(
    sessions: sessionmaker[Session], workspace_id: str
) -> None:
    with sessions.begin() as session:
        other = ensure_workspace(session, "other").id
        mine = add_source(session, workspace_id, name="docs", type="notion")
        add_source(session, other, name="docs", type="notion")
    with sessions() as session:
        assert get_source(session, other, mine.id) is None
        assert [source.id for source in list_sources(session, workspace_id)] == [mine.id]


def test_a_source_name_is_unique_in_its_workspace(
    sessions: sessionmaker[Session], source: Source
) -> None:
    with pytest.raises(SourceNameTakenError, match=source.name), sessions.begin() as session:
        add_source(session, source.workspace_id, name=source.name, type="git")


def test_sources_are_listed_by_name(sessions: sessionmaker[Session], workspace_id: str) -> None:
    with sessions.begin() as session:
        for name in ("slack", "git", "vercel"):
            add_source(session, workspace_id, name=name, type=name)
    with sessions() as session:
        assert [s.name for s in list_sources(session, workspace_id)] == ["git", "slack", "vercel"]


@pytest.mark.parametrize(
    "config",
    [
        {"token": "ghp_secret"},
        {"auth": {"api_key": "sk-123"}},
        {"slack_bot_token": "xoxb-1"},
        {"Password": "hunter2"},
    ],
)
def test_credentials_are_refused_in_source_config(
    sessions: sessionmaker[Session], workspace_id: str, config: dict[str, object]
) -> None:
    with pytest.raises(SecretInConfigError, match="_env"), sessions.begin() as session:
        add_source(session, workspace_id, name="leaky", type="github", config=config)


def test_names_of_credential_variables_are_accepted(
    sessions: sessionmaker[Session], workspace_id: str
) -> None:
    config = {"token_env": "GITHUB_TOKEN", "auth": {"api_key_env": "KEY"}, "max_tokens": 512}
    with sessions.begin() as session:
        added = add_source(session, workspace_id, name="ok", type="github", config=config)
    assert added.config == config


def test_the_cursor_of_an_incremental_sync_is_stored_and_cleared(
    sessions: sessionmaker[Session], source: Source
) -> None:
    synced_at = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
    with sessions.begin() as session:
        update_source_cursor(session, source.id, {"since": "2024-06-01"}, synced_at=synced_at)
    with sessions() as session:
        stored = session.get(Source, source.id)
        assert stored is not None
        assert stored.cursor == {"since": "2024-06-01"}
        assert stored.last_synced_at == synced_at

    with sessions.begin() as session:
        update_source_cursor(session, source.id, None)
    with sessions() as session:
        null_cursor = select(Source.id).where(Source.cursor.is_(None))
        assert session.scalars(null_cursor).all() == [source.id]


def test_updating_the_cursor_of_an_unknown_source_fails(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(SourceNotFoundError), sessions.begin() as session:
        update_source_cursor(session, "src_missing", {})


def test_a_store_is_ensured_once_and_guards_its_model(
    sessions: sessionmaker[Session], workspace_id: str
) -> None:
    def ensure(session: Session, dimension: int = 384) -> Store:
        return ensure_store(
            session,
            workspace_id,
            backend="lancedb",
            namespace="main",
            embedding_model="all-MiniLM-L6-v2",
            dimension=dimension,
        )

    with sessions.begin() as session:
        first = ensure(session)
    with sessions.begin() as session:
        second = ensure(session)
        assert [store.id for store in list_stores(session, workspace_id)] == [first.id]
    assert first.id == second.id

    with pytest.raises(StoreMismatchError, match="384-d"), sessions.begin() as session:
        ensure(session, dimension=768)
