"""One process's writers take SQLite in turn instead of racing on its busy timeout."""

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from sourcesync.db import session as db_session
from sourcesync.settings import Settings
from sourcesync.workflows.services import Services

WRITERS = 8
HOLD_S = 0.1


def test_writers_of_one_process_wait_their_turn_longer_than_the_busy_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each writer holds the database twice as long as another may wait for it: racing on
    # the busy timeout, most would fail "database is locked".
    monkeypatch.setattr(db_session, "SQLITE_BUSY_TIMEOUT_MS", int(HOLD_S * 1000 / 2))
    services = Services.from_settings(Settings(home=tmp_path))
    errors: list[BaseException] = []

    def write(index: int) -> None:
        try:
            with services.transaction() as session:
                session.execute(text("CREATE TABLE IF NOT EXISTS tally (n INTEGER)"))
                session.execute(text("INSERT INTO tally VALUES (:n)"), {"n": index})
                time.sleep(HOLD_S)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with services.reading() as session:
        assert session.execute(text("SELECT count(*) FROM tally")).scalar_one() == WRITERS
