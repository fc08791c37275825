"""Fixtures for the engine conformance suite: an engine on a free port and an app factory."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
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


@pytest.fixture
async def http(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the engine's APIs."""
    async with httpx.AsyncClient(base_url=engine.url, timeout=30) as client:
        yield client


async def poll(probe: Callable[[], Awaitable[Any]], what: str, timeout: float = 30.0) -> Any:
    """Await ``probe`` until it returns something truthy (bounded, never a timing assert)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
