"""Running sourcesync's workflows in this process on the embedded engine.

``EmbeddedRuntime`` starts the engine (its state under ``SOURCESYNC_HOME``), builds the
app with its Inngest client pointed at the engine, and registers it in process, through
the SDK's own sync. The CLI uses it for ``sourcesync sync`` and ``sourcesync serve``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import inngest
from fastapi import FastAPI

from sourcesync.api import create_app
from sourcesync.dashboard import create_dashboard
from sourcesync.engine import Engine, EngineConfig
from sourcesync.keys import EngineKeys, engine_keys
from sourcesync.workflows import APP_ID
from sourcesync.workflows.services import Services


def create_client(engine_url: str | None = None, keys: EngineKeys | None = None) -> inngest.Inngest:
    """The app's Inngest client: aimed at the embedded engine at ``engine_url`` with its
    ``keys`` (the SDK then verifies every call's signature, as in production), or
    configured by INNGEST_* env (Inngest)."""
    if engine_url is None:
        return inngest.Inngest(app_id=APP_ID)
    return inngest.Inngest(
        app_id=APP_ID,
        is_production=keys is not None,
        signing_key=keys.signing_key if keys else None,
        event_key=keys.event_key if keys else None,
        api_base_url=engine_url,
        event_api_base_url=engine_url,
    )


def engine_url_file(home: Path) -> Path:
    """Where the process running the embedded engine of ``home`` writes the engine's URL."""
    return home / "engine.url"


def running_engine_url(home: Path) -> str | None:
    """The URL of the embedded engine another process runs on ``home``, if one does."""
    try:
        return engine_url_file(home).read_text().strip() or None
    except FileNotFoundError:
        return None


class EmbeddedRuntime:
    """The engine and the app, together in this process."""

    def __init__(self, services: Services, *, port: int = 0) -> None:
        self.services = services
        settings = services.settings
        self.keys = engine_keys(settings.home)
        self.engine = Engine(
            EngineConfig(
                state_path=str(settings.engine_state),
                port=port,
                signing_key=self.keys.signing_key,
                event_key=self.keys.event_key,
                retention_ms=settings.engine_retention_days * 86_400_000,
            )
        )
        self._app: FastAPI | None = None

    @property
    def app(self) -> FastAPI:
        """The app serving ``/api/inngest``, the REST API and the dashboard (once started)."""
        if self._app is None:
            raise RuntimeError("the runtime is not started")
        return self._app

    async def start(self) -> None:
        # Before the engine resumes any run: no import of the store's libraries can then
        # race another thread's (a first import on two threads at once can fail).
        await self.services.vectors.warm()
        await self.engine.start()
        client = create_client(self.engine.url, self.keys)
        self._app = create_app(self.services, client)
        await self.engine.register_app(self._app)
        # One dashboard, on the engine's port (as Inngest's dev UI) and on the API's.
        dashboard = create_dashboard(self.services, client, self.engine)
        self._app.mount("", dashboard)
        self.engine.mount(dashboard)
        # Another sourcesync process finds this engine here (its state is locked to us).
        engine_url_file(self.services.settings.home).write_text(self.engine.url + "\n")

    async def stop(self) -> None:
        engine_url_file(self.services.settings.home).unlink(missing_ok=True)
        await self.engine.stop()

    async def send(self, name: str, data: dict[str, Any]) -> str:
        [event_id] = await self.engine.send({"name": name, "data": data})
        return event_id
