"""Settings that moving to Pinecone and PostgreSQL needs, and the messages that name them."""

import datetime
from pathlib import Path

import pytest

from sourcesync.db import Job, JobStatus, PoolOptions, create_db_engine
from sourcesync.settings import Settings, VectorBackend
from sourcesync.stores import LanceDBVectorStore, PineconeVectorStore
from sourcesync.workflows.services import MissingSecretError, create_vector_store, pool_options
from sourcesync.workflows.sync_cancelled import _ran_past_timeout
from sourcesync.workflows.timeouts import Timeout, limit, timed_out
from tests.postgres import fresh_schema, reachable_postgres_url


@pytest.mark.parametrize("field", [t.value for t in Timeout] + ["db_pool_size", "vector_store"])
def test_each_named_setting_is_read_from_the_variable_its_name_says(
    field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    value = "pinecone" if field == "vector_store" else "7"
    monkeypatch.setenv(Settings.env_name(field), value)

    assert str(getattr(Settings(), field)) == value


def test_an_unknown_setting_has_no_variable() -> None:
    with pytest.raises(KeyError, match="no setting"):
        Settings.env_name("sync_timeout")


def test_timeouts_default_to_the_design_but_let_a_big_first_sync_finish() -> None:
    settings = Settings()

    assert limit(settings, Timeout.FILES_BATCH) == datetime.timedelta(minutes=5)
    assert limit(settings, Timeout.DOCUMENTS) == datetime.timedelta(minutes=20)
    assert limit(settings, Timeout.SYNC) == datetime.timedelta(hours=24)
    assert "SOURCESYNC_SYNC_TIMEOUT_MINUTES" in timed_out(settings, Timeout.SYNC, "the sync")


def _job(status: JobStatus, started_minutes_ago: float) -> Job:
    started = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=started_minutes_ago)
    return Job(status=status, started_at=started)


@pytest.mark.parametrize(
    ("status", "minutes_ago", "timed_out_run"),
    [
        (JobStatus.RUNNING, 30, True),
        (JobStatus.RUNNING, 29.5, True),
        (JobStatus.RUNNING, 10, False),
        (JobStatus.CANCELLED, 60, False),
    ],
)
def test_a_cancelled_run_of_an_active_job_past_its_timeout_timed_out(
    status: JobStatus, minutes_ago: float, timed_out_run: bool, tmp_path: Path
) -> None:
    services = type("S", (), {"settings": Settings(home=tmp_path, sync_timeout_minutes=30)})()

    assert _ran_past_timeout(_job(status, minutes_ago), services) is timed_out_run  # type: ignore[arg-type]


def test_the_vector_store_setting_selects_the_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isinstance(create_vector_store(Settings(home=tmp_path)), LanceDBVectorStore)
    pinecone = Settings(home=tmp_path, vector_store="pinecone", pinecone_api_key_env="MY_PC_KEY")
    assert pinecone.vector_backend is VectorBackend.PINECONE

    with pytest.raises(MissingSecretError, match=r"\$MY_PC_KEY"):
        create_vector_store(pinecone)
    monkeypatch.setenv("MY_PC_KEY", "pcsk-secret")
    assert isinstance(create_vector_store(pinecone), PineconeVectorStore)
    assert "pcsk-secret" not in repr(create_vector_store(pinecone))


@pytest.mark.postgres
def test_the_postgres_pool_takes_its_sizes_and_timeouts_from_settings() -> None:
    settings = Settings(
        db_pool_size=3, db_max_overflow=2, db_pool_timeout_seconds=4, db_pool_recycle_seconds=60
    )
    assert pool_options(settings) == PoolOptions(
        pool_size=3, max_overflow=2, pool_timeout_s=4, pool_recycle_s=60, connect_timeout_s=10
    )
    with fresh_schema(reachable_postgres_url()) as url:
        engine = create_db_engine(url, pool=pool_options(settings))
        try:
            pool = engine.pool
            assert (pool.size(), pool._max_overflow, pool._timeout, pool._recycle) == (3, 2, 4, 60)  # type: ignore[attr-defined]
            with engine.connect() as connection:
                assert connection.exec_driver_sql("select 1").scalar() == 1
        finally:
            engine.dispose()
