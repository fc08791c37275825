"""The state store's own behaviour, below the engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcesync.engine.state import StateStore


def test_counters_bumped_in_a_transaction_count_once_it_commits(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "engine.db")
    try:
        store.bump("steps_executed")
        with store.transaction():
            store.bump("steps_executed")
            store.bump("steps_executed", 2)
            assert store.counters()["steps_executed"] == 4
        assert store.counters()["steps_executed"] == 4
        with pytest.raises(RuntimeError), store.transaction():
            store.bump("steps_executed")
            raise RuntimeError("rolled back")
        assert store.counters()["steps_executed"] == 4
    finally:
        store.close()
    reopened = StateStore(tmp_path / "engine.db")
    try:
        assert reopened.counters()["steps_executed"] == 4
    finally:
        reopened.close()
