"""State files keep working across engine versions: each opens at the current schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import inngest
import pytest

from sourcesync.engine import Engine, EngineConfig, StateVersionError
from sourcesync.engine.state import SCHEMA_VERSION, StateStore

from .conftest import make_client, serve

FIXTURES = Path(__file__).parent / "fixtures"
LEGACY_RUN = "01HQ000000000000000000RUN1"


def legacy_state(path: Path) -> Path:
    """A state file as the engine wrote it before schema versions existed."""
    db = sqlite3.connect(path)
    db.executescript((FIXTURES / "state_v1.sql").read_text())
    db.close()
    return path


def user_version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("PRAGMA user_version").fetchone()[0])
    finally:
        db.close()


def test_a_legacy_state_file_is_migrated_and_keeps_its_runs(tmp_path: Path) -> None:
    path = legacy_state(tmp_path / "engine.db")
    assert user_version(path) == 0

    store = StateStore(path)
    try:
        run = store.get_run(LEGACY_RUN)
        assert run is not None
        assert run.status == "Completed"
        assert run.output == "hi"
        assert run.force_step_plan is False
        [step] = store.steps(LEGACY_RUN)
        assert step.name == "greet"
        assert step.memo == '{"data":"hi"}'
    finally:
        store.close()
    assert user_version(path) == SCHEMA_VERSION


def test_a_new_state_file_starts_at_the_current_version(tmp_path: Path) -> None:
    StateStore(tmp_path / "engine.db").close()
    assert user_version(tmp_path / "engine.db") == SCHEMA_VERSION


def test_a_state_file_from_a_newer_engine_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "engine.db"
    StateStore(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StateVersionError, match="newer than this engine"):
        StateStore(path)


async def test_an_engine_runs_new_work_on_a_migrated_legacy_file(tmp_path: Path) -> None:
    path = legacy_state(tmp_path / "engine.db")
    # The legacy run ended long ago: a retention that keeps it shows it survived migration.
    forever = 100 * 365 * 86_400_000
    engine = Engine(
        EngineConfig(state_path=str(path), port=0, retry_base_ms=20, retention_ms=forever)
    )
    await engine.start()
    try:
        client = make_client(engine)

        @client.create_function(fn_id="par", trigger=inngest.TriggerEvent(event="t/par"))
        async def par(ctx: inngest.Context) -> list[str]:
            return list(
                await ctx.group.parallel(
                    (lambda: ctx.step.run("a", lambda: "a"), lambda: ctx.step.run("b", lambda: "b"))
                )
            )

        await serve(engine, client, [par])
        [event_id] = await engine.send({"name": "t/par", "data": {}})
        [run] = await engine.wait_for_runs(event_id)
        run = await engine.wait_for_run(run.id)
        assert run.output == ["a", "b"]
        assert run.force_step_plan is True
        legacy = engine.state.get_run(LEGACY_RUN)
        assert legacy is not None and legacy.output == "hi"
    finally:
        await engine.stop()
