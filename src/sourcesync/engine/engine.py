"""``Engine``: the embedded executor's public face. It assembles the state, the function
registry, the scheduler and the HTTP APIs, and offers what callers need: registering
apps, sending events, cancelling and rerunning runs, and waiting for them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp

from .app_calls import AppCaller
from .clock import now_ms
from .config import EngineConfig
from .core import Core
from .enums import InternalEvent, RunStatus
from .errors import RegistrationError
from .function_config import FunctionConfig, parse_function_config
from .http_api import create_http_app
from .ids import new_ulid
from .intake import validate_events
from .read_view import ReadView
from .registry import Registry, next_cron_ms
from .routing import ingest_one
from .runs import create_run, finish
from .scheduler import Scheduler
from .state import RunRow, StateStore

log = logging.getLogger("sourcesync.engine")

T = TypeVar("T")


class Engine:
    """An Inngest-compatible executor with its state in SQLite.

    Use it from async code::

        engine = Engine(EngineConfig(state_path="state.db", port=0))
        await engine.start()
        await engine.register_app(fastapi_app)          # in-process, through the SDK's sync
        [event_id] = await engine.send({"name": "app/hello", "data": {}})
        run = await engine.wait_for_run((await engine.wait_for_runs(event_id))[0].id)
        await engine.stop()

    Remote apps register themselves by syncing against ``engine.url`` (``PUT`` on their
    serve endpoint with ``INNGEST_DEV`` pointing here) and are called back over HTTP.
    """

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig()
        self.store: StateStore | None = None
        self.url = f"http://{self.config.host}:{self.config.port}"
        self._registry = Registry()
        self._caller = AppCaller(
            max_in_flight=self.config.max_in_flight, signing_key=self.config.signing_key
        )
        self._scheduler: Scheduler | None = None
        self._changed = asyncio.Condition()
        self._loop_task: asyncio.Task[None] | None = None
        self._server: Any = None
        self._http_app: Starlette | None = None
        self._server_task: asyncio.Task[None] | None = None

    # -- lifecycle --------------------------------------------------------------

    @property
    def state(self) -> StateStore:
        if self.store is None:
            raise RuntimeError("the engine is not started")
        return self.store

    @property
    def scheduler(self) -> Scheduler:
        if self._scheduler is None:
            raise RuntimeError("the engine is not started")
        return self._scheduler

    @property
    def view(self) -> ReadView:
        """Read-only queries of the state, for inspection (use on the engine's loop)."""
        return ReadView(self.state)

    def mount(self, app: ASGIApp) -> None:
        """Serve ``app`` on the engine's port for every path its own routes do not take
        (a dashboard, say); the app guards itself."""
        if self._http_app is None:
            raise RuntimeError("the engine is not started")
        self._http_app.router.routes.append(Mount("", app=app))

    async def start(self) -> None:
        """Open the state (refusing one another engine holds), serve HTTP, start scheduling."""
        self.store = StateStore(self.config.state_path)
        released = self.store.release_all_leases()
        if released:
            log.info("resuming after restart", extra={"released_items": released})
        for row in self.store.functions():
            self._registry.add(FunctionConfig.model_validate_json(row.config), row.app_url)
        core = Core(self.store, self._registry, self.config)
        self._scheduler = Scheduler(core, self._caller, self._on_finished)
        await self._start_http()
        self._loop_task = asyncio.create_task(self._scheduler.run(), name="engine-scheduler")
        log.info("engine started", extra={"url": self.url, "state": self.config.state_path})

    async def _start_http(self) -> None:
        import uvicorn

        app = create_http_app(
            self, ReadView(self.state), self.config.signing_key, self.config.event_key
        )
        self._http_app = app
        config = uvicorn.Config(
            app, host=self.config.host, port=self.config.port, log_level="warning", lifespan="off"
        )
        server = uvicorn.Server(config)
        # The engine may be embedded in a process that handles its own signals.
        server.install_signal_handlers = lambda: None  # type: ignore[attr-defined]
        self._server = server
        self._server_task = asyncio.create_task(server.serve(), name="engine-http")
        while not server.started:
            if self._server_task.done():
                self._server_task.result()
                raise RuntimeError(f"the engine could not listen on port {self.config.port}")
            await asyncio.sleep(0.005)
        port = server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://{self.config.host}:{port}"

    async def stop(self) -> None:
        """Stop scheduling and serving; in-flight calls are abandoned and rerun on restart."""
        if self._scheduler is not None:
            await self._scheduler.stop()
        if self._loop_task is not None:
            await self._loop_task
        if self._server is not None:
            self._server.should_exit = True
            if self._server_task is not None:
                await self._server_task
        await self._caller.aclose()
        if self.store is not None:
            self.store.close()
            self.store = None

    # -- registration -----------------------------------------------------------

    async def register_app(
        self, app: Any, *, serve_path: str = "/api/inngest", origin: str = "http://app.embedded"
    ) -> list[str]:
        """Mount an ASGI app in process and make it sync itself; return its function ids."""
        url = origin.rstrip("/") + serve_path
        self._caller.mount(origin, app, url)
        response = await asyncio.to_thread(self._caller.put_in_process, url)
        # inngest-py answers its PUT with the engine's reply to its sync, refusals included.
        try:
            reply = json.loads(response.body)
        except ValueError:
            reply = {}
        refusal = reply.get("error") if isinstance(reply, dict) else None
        if response.status >= 400 or refusal:
            detail = refusal or response.body.decode(errors="replace")[:500]
            raise RegistrationError(f"the app at {url} failed to sync: {detail}")
        return sorted(fn.id for fn in self._registry.all() if fn.app_url.startswith(origin))

    def register(self, payload: dict[str, Any]) -> list[str]:
        """Accept an SDK sync request (``POST /fn/register``); refuse unsupported options."""
        url = payload.get("url")
        if not isinstance(url, str) or not url:
            raise RegistrationError("the sync request has no app url")
        raw_functions = payload.get("functions")
        if not isinstance(raw_functions, list) or not raw_functions:
            raise RegistrationError("the sync request lists no functions")
        configs = [parse_function_config(raw) for raw in raw_functions]
        app_url = url.split("?", 1)[0]
        now = now_ms()
        self.state.save_app(
            app_url,
            str(payload.get("appname", "")),
            str(payload.get("sdk", "")),
            str(payload.get("framework", "")),
            {c.id: c.model_dump_json(by_alias=True, exclude_none=True) for c in configs},
            now,
        )
        self._registry.replace_app(app_url, configs)
        with self.state.transaction():
            for config in configs:
                self.state.set_cron_next(config.id, next_cron_ms(config, now))
        self.scheduler.wake.set()
        log.info("app synced", extra={"app_url": app_url, "functions": len(configs)})
        return [c.id for c in configs]

    def functions(self) -> list[FunctionConfig]:
        return [fn.config for fn in self._registry.all()]

    # -- events and runs --------------------------------------------------------

    async def send(self, payload: Any) -> list[str]:
        """Send events as ``POST /e/{key}`` does; returns their ids."""
        return self.ingest(payload)

    def ingest(self, payload: Any) -> list[str]:
        """Validate every event first (all or nothing), then store and route them."""
        events = validate_events(payload)
        with self.scheduler.transaction() as effects:
            return [ingest_one(self.scheduler.core, event, effects) for event in events]

    def rerun(self, run_id: str) -> str | None:
        """Start a new run of the same function with the same events."""
        run = self.state.get_run(run_id)
        if run is None:
            raise KeyError(run_id)
        fn = self._registry.get(run.function_id)
        if fn is None:
            raise KeyError(run.function_id)
        with self.scheduler.transaction() as effects:
            return create_run(self.scheduler.core, fn, run.event_ids, now_ms(), effects)

    def invoke(self, function_id: str, data: dict[str, Any]) -> str | None:
        """Start a run of a function with ``data`` as Inngest's dev UI "Invoke" does: an
        ``inngest/function.invoked`` event, with no parent run. None when flow control
        skipped it; ``KeyError`` for an unknown function."""
        fn = self._registry.get(function_id)
        if fn is None:
            raise KeyError(function_id)
        [event] = validate_events({"name": InternalEvent.INVOKED, "data": data})
        now = now_ms()
        internal_id = new_ulid()
        event |= {"id": internal_id, "ts": now}
        with self.scheduler.transaction() as effects:
            self.state.insert_event(internal_id, event, now)
            return create_run(self.scheduler.core, fn, [internal_id], now, effects)

    def cancel(self, run_id: str) -> bool:
        """Cancel a queued or running run; False when it had already ended."""
        run = self.state.get_run(run_id)
        if run is None:
            raise KeyError(run_id)
        with self.scheduler.transaction() as effects:
            return finish(
                self.scheduler.core, run, RunStatus.CANCELLED, None, None, now_ms(), effects
            )

    def _on_finished(self) -> None:
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- waiting (for tests, the CLI and embedding) ------------------------------

    async def wait_for_run(self, run_id: str, timeout: float = 30.0) -> RunRow:
        """Wait until a run ends and return it."""

        def ended() -> RunRow | None:
            run = self.state.get_run(run_id)
            return run if run is not None and run.status.is_final else None

        return await self._wait_until(ended, timeout, f"run {run_id} did not end")

    async def wait_for_runs(
        self, event_id: str, count: int = 1, timeout: float = 30.0
    ) -> list[RunRow]:
        """Wait until ``count`` runs exist for an event (by its id or internal id)."""

        def runs() -> list[RunRow] | None:
            found = self.state.find_event(event_id)
            if found is None:
                return None
            rows = self.state.runs_for_event(found.internal_id)
            return rows if len(rows) >= count else None

        return await self._wait_until(runs, timeout, f"no run for event {event_id}")

    async def _wait_until(self, probe: Callable[[], T | None], timeout: float, message: str) -> T:
        deadline = time.monotonic() + timeout
        while True:
            result = probe()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(message)
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 0.05))

    def metrics(self) -> dict[str, int]:
        """Counters for the inspection API: runs, steps, queue depth."""
        counters = self.state.counters()
        names = (
            "runs_started",
            "runs_completed",
            "runs_failed",
            "runs_cancelled",
            "runs_skipped",
            "steps_executed",
        )
        return {name: counters.get(name, 0) for name in names} | {
            "queue_depth": self.state.queue_depth(),
            "in_flight": self.scheduler.in_flight,
        }
