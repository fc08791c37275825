"""Fixtures for the engine conformance suite: an engine on a free port and an app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import inngest
import inngest.fast_api
import pytest
from fastapi import FastAPI

from sourcesync.engine import Engine, EngineConfig

AppFactory = Callable[..., Any]


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[Engine]:
    """A started engine with fast retries, its state in a temporary directory."""
    instance = Engine(
        EngineConfig(state_path=str(tmp_path / "engine.db"), port=0, retry_base_ms=20)
    )
    await instance.start()
    try:
        yield instance
    finally:
        await instance.stop()


def make_client(engine: Engine, app_id: str = "test-app", **kwargs: Any) -> inngest.Inngest:
    """An inngest client pointed at ``engine`` in dev mode."""
    options: dict[str, Any] = {"is_production": False} | kwargs
    return inngest.Inngest(
        app_id=app_id, api_base_url=engine.url, event_api_base_url=engine.url, **options
    )


async def serve(
    engine: Engine, client: inngest.Inngest, functions: list[Any], origin: str | None = None
) -> list[str]:
    """Serve ``functions`` from a FastAPI app registered in process; return their ids."""
    app = FastAPI()
    inngest.fast_api.serve(app, client, functions)
    return await engine.register_app(app, origin=origin or f"http://{client.app_id}.embedded")
