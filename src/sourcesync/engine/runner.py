"""The embedded engine: plays the Inngest server's part of the SDK spec for any inngest-py app.

Everything that touches state runs on one asyncio loop: the event API, registration, the
scheduler and result handling. App calls leave the loop (worker threads for in-process
apps, HTTP for remote ones) and come back as outcomes that are applied in one transaction
together with the removal of their queue item, so a crash at any moment either keeps the
item (it runs again) or keeps its result (it never runs again).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from croniter import croniter

from . import expressions
from .app_calls import AppCaller
from .clock import now_ms
from .durations import parse_duration_ms
from .errors import RegistrationError
from .function_config import FunctionConfig, parse_function_config
from .ids import new_ulid
from .intake import validate_events
from .responses import (
    Outcome,
    failure_reason,
    function_error,
    parse_response,
    plain_error,
    sleep_until,
    standard_error,
)
from .state import QueueItem, RunRow, StateStore, dumps

log = logging.getLogger("sourcesync.engine")

MAX_STEPS_PER_RUN = 1_000
MAX_STEP_OUTPUT_BYTES = 4 * 1024 * 1024
MAX_RUN_STATE_BYTES = 32 * 1024 * 1024
USE_API_THRESHOLD_BYTES = 4 * 1024 * 1024
IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000
PRUNE_INTERVAL_MS = 60_000
FINAL_STATUSES = frozenset({"Completed", "Failed", "Cancelled"})

INVOKED_EVENT = "inngest/function.invoked"
FINISHED_EVENT = "inngest/function.finished"
FAILED_EVENT = "inngest/function.failed"
CANCELLED_EVENT = "inngest/function.cancelled"
CRON_EVENT = "inngest/scheduled.timer"
_PENDING = frozenset({"planned", "sleeping", "waiting", "invoking"})
_SCHEDULING_OPS = frozenset({"StepPlanned", "Sleep", "WaitForEvent", "InvokeFunction"})


@dataclass
class EngineConfig:
    """Settings of an embedded engine. ``port=0`` picks a free port."""

    state_path: str = ".sourcesync/engine.db"
    host: str = "127.0.0.1"
    port: int = 8288
    signing_key: str | None = None
    retry_base_ms: int = 1_000
    retry_max_ms: int = 3_600_000
    max_in_flight: int = 64


@dataclass
class _Function:
    config: FunctionConfig
    app_url: str

    @property
    def id(self) -> str:
        return self.config.id


@dataclass
class _Effects:
    """Work to do after a transaction commits."""

    wake: bool = False
    finished_runs: list[str] = field(default_factory=list)


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
        self._functions: dict[str, _Function] = {}
        self._caller = AppCaller(
            max_in_flight=self.config.max_in_flight,
            signing_key=self.config.signing_key,
        )
        self._wake = asyncio.Event()
        self._changed = asyncio.Condition()
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        self._server: Any = None
        self._server_task: asyncio.Task[None] | None = None
        self._in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._key_counts: dict[str, int] = defaultdict(int)
        # Concurrency keys of runs with queued calls: a run's keys never change, and a
        # scheduler pass that finds its key full skips its calls without reading the run
        # (hundreds of queued batches behind a limit of 10 would otherwise be read on
        # every pass).
        self._run_keys: dict[str, list[tuple[str, int]]] = {}
        self._pruned_at = 0

    # -- lifecycle --------------------------------------------------------------

    @property
    def state(self) -> StateStore:
        if self.store is None:
            raise RuntimeError("the engine is not started")
        return self.store

    async def start(self) -> None:
        """Open the state (refusing one another engine holds), serve HTTP, start scheduling."""
        self.store = StateStore(self.config.state_path)
        released = self.store.release_all_leases()
        if released:
            log.info("resuming after restart", extra={"released_items": released})
        for fn_id, app_url, config, _ in self.store.functions():
            self._functions[fn_id] = _Function(FunctionConfig.model_validate_json(config), app_url)
        await self._start_http()
        self._loop_task = asyncio.create_task(self._run_scheduler(), name="engine-scheduler")
        log.info("engine started", extra={"url": self.url, "state": self.config.state_path})

    async def _start_http(self) -> None:
        import uvicorn

        from .http_api import create_http_app

        config = uvicorn.Config(
            create_http_app(self),
            host=self.config.host,
            port=self.config.port,
            log_level="warning",
            lifespan="off",
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
        self._stopping = True
        self._wake.set()
        if self._loop_task is not None:
            await self._loop_task
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
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
        self._caller.mount(origin, app)
        url = origin.rstrip("/") + serve_path
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
        return sorted(fn.id for fn in self._functions.values() if fn.app_url.startswith(origin))

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
        for fn_id in [k for k, v in self._functions.items() if v.app_url == app_url]:
            del self._functions[fn_id]
        with self.state.transaction():
            for config in configs:
                self._functions[config.id] = _Function(config, app_url)
                self.state.set_cron_next(config.id, self._next_cron(config, now))
        self._wake.set()
        log.info("app synced", extra={"app_url": app_url, "functions": len(configs)})
        return [c.id for c in configs]

    @staticmethod
    def _next_cron(config: FunctionConfig, after_ms: int) -> int | None:
        times = [
            int(croniter(t.cron, datetime.fromtimestamp(after_ms / 1000, UTC)).get_next(float))
            * 1000
            for t in config.cron_triggers
        ]
        return min(times) if times else None

    def functions(self) -> list[FunctionConfig]:
        return [fn.config for fn in self._functions.values()]

    # -- events -----------------------------------------------------------------

    async def send(self, payload: Any) -> list[str]:
        """Send events as ``POST /e/{key}`` does; returns their ids."""
        return self.ingest(payload)

    def ingest(self, payload: Any) -> list[str]:
        """Validate every event first (all or nothing), then store and route them."""
        events = validate_events(payload)
        effects = _Effects()
        with self.state.transaction():
            ids = [self._ingest_one(event, effects) for event in events]
        self._after(effects)
        return ids

    def _ingest_one(self, event: dict[str, Any], effects: _Effects) -> str:
        now = now_ms()
        event.setdefault("ts", now)
        if "id" in event:
            existing = self.state.find_event(event["id"])
            if existing is not None:
                return existing[0]
        internal_id = new_ulid()
        event.setdefault("id", internal_id)
        self.state.insert_event(internal_id, event, now)
        self._route(internal_id, event, now, effects)
        return internal_id

    def _route(self, internal_id: str, event: dict[str, Any], now: int, effects: _Effects) -> None:
        name = event["name"]
        for fn in list(self._functions.values()):
            if any(
                trigger.matches_name(name)
                and expressions.matches(trigger.expression, {"event": event})
                for trigger in fn.config.event_triggers
            ):
                self._trigger(fn, internal_id, event, now, effects)
        for run_id, step_id, expression in self.state.waits_for(name):
            run = self.state.get_run(run_id)
            if run is None:
                continue
            original = self._first_event(run)
            if expressions.matches(expression, {"event": original, "async": event}):
                self.state.remove_wait(run_id, step_id)
                self.state.delete_items(run_id, "wait_timeout", step_id)
                self._memoize(run, step_id, event, "completed", now, effects)
        for fn in list(self._functions.values()):
            for rule in fn.config.cancel or []:
                if rule.event != name:
                    continue
                for run in self.state.active_runs(fn.id):
                    if rule.timeout and now > run.created_at + parse_duration_ms(rule.timeout):
                        continue
                    variables = {"event": self._first_event(run), "async": event}
                    if expressions.matches(rule.if_exp, variables):
                        self._finish(run, "Cancelled", None, None, now, effects)

    def _first_event(self, run: RunRow) -> dict[str, Any]:
        events = self.state.events_by_internal_id(run.event_ids[:1])
        return events[0] if events else {}

    def _trigger(
        self,
        fn: _Function,
        internal_id: str,
        event: dict[str, Any],
        now: int,
        effects: _Effects,
    ) -> None:
        config = fn.config
        variables = {"event": event}
        if config.batch_events is not None:
            batch = config.batch_events
            key = expressions.evaluate_key(batch.key, variables)
            pending = self.state.get_batch(fn.id, key)
            ids = [*(pending or []), internal_id]
            if len(ids) >= batch.max_size:
                self.state.delete_batch(fn.id, key)
                self._create_run(fn, ids, now, effects)
            else:
                self.state.put_batch(fn.id, key, ids, now + parse_duration_ms(batch.timeout))
                effects.wake = True
            return
        if config.debounce is not None:
            debounce = config.debounce
            key = expressions.evaluate_key(debounce.key, variables)
            existing = self.state.get_debounce(fn.id, key)
            first_at = existing[1] if existing else now
            fire_at = now + parse_duration_ms(debounce.period)
            if debounce.timeout:
                fire_at = min(fire_at, first_at + parse_duration_ms(debounce.timeout))
            self.state.put_debounce(fn.id, key, internal_id, first_at, fire_at)
            effects.wake = True
            return
        self._create_run(fn, [internal_id], now, effects)

    # -- runs -------------------------------------------------------------------

    def _create_run(
        self,
        fn: _Function,
        event_ids: list[str],
        now: int,
        effects: _Effects,
        *,
        parent: tuple[str, str] | None = None,
        delay_ms: int = 0,
    ) -> str | None:
        """Start a run unless flow control says otherwise; returns its id."""
        config = fn.config
        event = self.state.events_by_internal_id(event_ids[:1])[0]
        variables = {"event": event}

        def key_of(source: str | None) -> str:
            return expressions.evaluate_key(source, variables)

        if config.rate_limit is not None:
            key = key_of(config.rate_limit.key)
            window = now - parse_duration_ms(config.rate_limit.period)
            if self.state.count_marks("rate", fn.id, key, window) >= config.rate_limit.limit:
                self._skip(fn, event, "rate limited")
                return None
            self.state.add_mark("rate", fn.id, key, now)
        if config.idempotency:
            key = key_of(config.idempotency)
            if self.state.count_marks("idempotency", fn.id, key, now - IDEMPOTENCY_WINDOW_MS):
                self._skip(fn, event, "idempotency key already used")
                return None
            self.state.add_mark("idempotency", fn.id, key, now)
        singleton_key = None
        if config.singleton is not None:
            singleton_key = key_of(config.singleton.key)
            active = self.state.active_runs(fn.id, singleton_key)
            if active and config.singleton.mode == "skip":
                self._skip(fn, event, "singleton run in progress")
                return None
            for run in active:
                self._finish(run, "Cancelled", None, None, now, effects)
        start_at = now + delay_ms
        if config.throttle is not None:
            start_at = self._throttle(fn, key_of(config.throttle.key), start_at)
        concurrency = []
        for limit in config.concurrency or []:
            scope = limit.scope or "fn"
            owner = fn.id if scope == "fn" else scope
            concurrency.append([f"{owner}:{key_of(limit.key)}", limit.limit])
        priority = expressions.evaluate_number(
            config.priority.run if config.priority else None, variables
        )
        priority_ms = int(max(-600, min(600, priority)) * 1000)
        timeouts = config.timeouts
        run = RunRow(
            id=new_ulid(),
            function_id=fn.id,
            status="Queued",
            event_ids=event_ids,
            created_at=now,
            started_at=None,
            ended_at=None,
            output=None,
            error=None,
            parent_run_id=parent[0] if parent else None,
            parent_step_id=parent[1] if parent else None,
            concurrency_keys=concurrency,
            priority_ms=priority_ms,
            singleton_key=singleton_key,
            state_bytes=0,
            start_deadline=now + parse_duration_ms(timeouts.start)
            if timeouts and timeouts.start
            else None,
        )
        self.state.insert_run(run)
        self.state.enqueue(run.id, "call", start_at, priority_ms=priority_ms)
        self.state.bump("runs_started")
        effects.wake = True
        log.info("run scheduled", extra={"run_id": run.id, "function_id": fn.id})
        return run.id

    def _skip(self, fn: _Function, event: dict[str, Any], reason: str) -> None:
        self.state.bump("runs_skipped")
        log.info("run skipped", extra={"function_id": fn.id, "reason": reason})

    def _throttle(self, fn: _Function, key: str, at: int) -> int:
        """GCRA: ``limit`` starts per period, ``burst`` at once; excess starts are delayed."""
        throttle = fn.config.throttle
        assert throttle is not None
        interval = parse_duration_ms(throttle.period) / throttle.limit
        burst = throttle.burst or 1
        previous = self.state.get_throttle(fn.id, key) or 0
        start = max(at, int(previous - (burst - 1) * interval))
        self.state.put_throttle(fn.id, key, int(max(previous, start) + interval))
        return start

    def rerun(self, run_id: str) -> str | None:
        """Start a new run of the same function with the same events."""
        run = self.state.get_run(run_id)
        if run is None:
            raise KeyError(run_id)
        fn = self._functions.get(run.function_id)
        if fn is None:
            raise KeyError(run.function_id)
        effects = _Effects()
        with self.state.transaction():
            new_id = self._create_run(fn, run.event_ids, now_ms(), effects)
        self._after(effects)
        return new_id

    def cancel(self, run_id: str) -> bool:
        """Cancel a queued or running run; False when it had already ended."""
        run = self.state.get_run(run_id)
        if run is None:
            raise KeyError(run_id)
        effects = _Effects()
        with self.state.transaction():
            done = self._finish(run, "Cancelled", None, None, now_ms(), effects)
        self._after(effects)
        return done

    def _finish(
        self,
        run: RunRow,
        status: str,
        output: Any,
        error: Any,
        now: int,
        effects: _Effects,
        reason: str | None = None,
    ) -> bool:
        """End a run, resume an invoking parent, and emit Inngest's lifecycle events.

        ``reason`` is the executor's word for a failed call (``invalid status code: 500``),
        which Inngest puts in the ``error`` field of the failure it reports.
        """
        self._run_keys.pop(run.id, None)
        if not self.state.finish_run(run.id, status, output, error, now):
            return False
        self.state.bump(f"runs_{status.lower()}")
        effects.finished_runs.append(run.id)
        effects.wake = True
        log.info(
            "run finished",
            extra={"run_id": run.id, "function_id": run.function_id, "status": status},
        )
        failure = standard_error(error, reason) if status == "Failed" else None
        if run.parent_run_id and run.parent_step_id:
            parent = self.state.get_run(run.parent_run_id)
            step = self.state.get_step(run.parent_run_id, run.parent_step_id)
            if parent and parent.status not in FINAL_STATUSES and step and step.memo is None:
                self.state.delete_items(parent.id, "invoke_timeout", run.parent_step_id)
                if status == "Completed":
                    memo, outcome_status = {"data": output}, "completed"
                else:
                    cancelled = plain_error("invoked function was cancelled")
                    memo, outcome_status = {"error": failure or cancelled}, "failed"
                self._memoize(parent, run.parent_step_id, memo, outcome_status, now, effects)
        events = self.state.events_by_internal_id(run.event_ids)
        event = events[0] if events else {}
        if event.get("name") in (FINISHED_EVENT, FAILED_EVENT):
            return True  # an on_failure handler's own end triggers nothing more
        data: dict[str, Any] = {
            "function_id": run.function_id,
            "run_id": run.id,
            "event": event,
            "events": events,
        }
        if failure is not None:
            data["error"] = failure
        elif status == "Completed" and output is not None:
            data["result"] = output
        data["_inngest"] = {"status": status}
        self._ingest_one({"name": FINISHED_EVENT, "data": data}, effects)
        if status != "Completed":
            # The run id as event id, as Inngest does: one such event per run.
            name = FAILED_EVENT if status == "Failed" else CANCELLED_EVENT
            self._ingest_one({"name": name, "data": data, "id": run.id}, effects)
        return True

    # -- scheduling -------------------------------------------------------------

    async def _run_scheduler(self) -> None:
        while not self._stopping:
            self._wake.clear()
            now = now_ms()
            try:
                self._fire_timers(now)
                blocked = self._dispatch(now)
            except Exception:
                log.exception("scheduler iteration failed")
                blocked = False
            next_at = min(
                (t for t in (self.state.next_run_at(), self.state.next_timer_at()) if t),
                default=None,
            )
            timeout = 1.0 if next_at is None else max(0.0, (next_at - now_ms()) / 1000)
            if blocked:
                timeout = max(timeout, 0.05)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=min(timeout, 1.0))

    def _dispatch(self, now: int) -> bool:
        """Start every ready item that capacity allows; True when some had to wait."""
        blocked = False
        for item in self.state.ready_items(now, 500):
            if item.kind != "call":
                self._fire_item(item, now)
                continue
            if self._in_flight >= self.config.max_in_flight:
                return True
            keys = self._run_keys.get(item.run_id)
            if keys is not None and any(self._key_counts[k] >= limit for k, limit in keys):
                blocked = True
                continue
            run = self.state.get_run(item.run_id)
            if run is None or run.status in FINAL_STATUSES:
                self.state.complete_item(item.id)
                self._run_keys.pop(item.run_id, None)
                continue
            if keys is None:
                keys = [(str(k), int(limit)) for k, limit in run.concurrency_keys]
                self._run_keys[run.id] = keys
            if any(self._key_counts[k] >= limit for k, limit in keys):
                blocked = True
                continue
            if not self.state.lease(item.id):
                continue
            for key, _ in keys:
                self._key_counts[key] += 1
            self._in_flight += 1
            task = asyncio.create_task(self._execute(item, run, [k for k, _ in keys]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return blocked

    def _fire_timers(self, now: int) -> None:
        effects = _Effects()
        with self.state.transaction():
            if now - self._pruned_at > PRUNE_INTERVAL_MS:
                # Rate-limit and idempotency marks matter for 24 hours at most.
                self.state.prune_marks(now - IDEMPOTENCY_WINDOW_MS)
                self._pruned_at = now
            for fn_id, key, internal_id in self.state.due_debounces(now):
                self.state.delete_debounce(fn_id, key)
                if fn_id in self._functions:
                    self._create_run(self._functions[fn_id], [internal_id], now, effects)
            for fn_id, key, ids in self.state.due_batches(now):
                self.state.delete_batch(fn_id, key)
                if fn_id in self._functions:
                    self._create_run(self._functions[fn_id], ids, now, effects)
            for fn_id, _, _, cron_next_at in self.state.functions():
                fn = self._functions.get(fn_id)
                if fn is None or cron_next_at is None or cron_next_at > now:
                    continue
                self.state.set_cron_next(fn_id, self._next_cron(fn.config, now))
                for trigger in fn.config.cron_triggers:
                    event = {
                        "name": CRON_EVENT,
                        "data": {"cron": trigger.cron},
                        "id": f"cron:{fn_id}:{cron_next_at}",
                    }
                    internal_id = self._ingest_one(event, effects)
                    jitter = parse_duration_ms(trigger.jitter) if trigger.jitter else 0
                    delay = random.randint(0, jitter) if jitter else 0
                    self._create_run(fn, [internal_id], now, effects, delay_ms=delay)
        self._after(effects)

    def _fire_item(self, item: QueueItem, now: int) -> None:
        """Timers: a sleep ends, a wait or an invoke times out, a run hits its finish timeout."""
        effects = _Effects()
        with self.state.transaction():
            if not self.state.complete_item(item.id):
                return
            run = self.state.get_run(item.run_id)
            if run is None or run.status in FINAL_STATUSES:
                return
            step_id = item.step_id or ""
            if item.kind == "sleep":
                self._memoize(run, step_id, None, "completed", now, effects)
            elif item.kind == "wait_timeout":
                if self.state.remove_wait(run.id, step_id):
                    self._memoize(run, step_id, None, "completed", now, effects)
            elif item.kind == "invoke_timeout":
                error = plain_error(
                    "Timed out waiting for invoked function to complete",
                    name="InngestInvokeTimeoutError",
                )
                self._memoize(run, step_id, {"error": error}, "failed", now, effects)
            elif item.kind == "finish_timeout":
                error = plain_error("run exceeded timeouts.finish", name="FunctionTimeoutError")
                self._finish(run, "Cancelled", None, error, now, effects)
        self._after(effects)

    # -- execution --------------------------------------------------------------

    async def _execute(self, item: QueueItem, run: RunRow, keys: list[str]) -> None:
        fn = self._functions.get(run.function_id)
        try:
            if fn is None:
                outcome = Outcome(
                    status=0,
                    no_retry=True,
                    transport_error=f"function {run.function_id} is no longer registered",
                )
            elif not self._begin(run, fn):
                return
            else:
                outcome = await self._call(item, run, fn)
        finally:
            self._in_flight -= 1
            for key in keys:
                self._key_counts[key] -= 1
            self._wake.set()
        effects = _Effects()
        try:
            with self.state.transaction():
                if not self.state.complete_item(item.id):
                    return
                current = self.state.get_run(run.id)
                if current is None or current.status in FINAL_STATUSES:
                    return
                self._apply(item, current, fn, outcome, effects)
        except Exception:
            log.exception("applying a call result failed", extra={"run_id": run.id})
            with self.state.transaction():
                self.state.enqueue(run.id, "call", now_ms() + 1_000, step_id=item.step_id)
        self._after(effects)

    def _begin(self, run: RunRow, fn: _Function) -> bool:
        """Mark a queued run running; cancel it when it missed ``timeouts.start``."""
        if run.status != "Queued":
            return True
        now = now_ms()
        effects = _Effects()
        with self.state.transaction():
            if run.start_deadline is not None and now > run.start_deadline:
                error = plain_error("run missed timeouts.start", name="FunctionTimeoutError")
                self._finish(run, "Cancelled", None, error, now, effects)
                started = False
            else:
                self.state.mark_run_started(run.id, now)
                timeouts = fn.config.timeouts
                if timeouts and timeouts.finish:
                    self.state.enqueue(
                        run.id, "finish_timeout", now + parse_duration_ms(timeouts.finish)
                    )
                started = True
        self._after(effects)
        return started

    def _request_body(self, item: QueueItem, run: RunRow, fn: _Function) -> bytes:
        events = self.state.events_by_internal_id(run.event_ids)
        memos, stack = self.state.memos_json(run.id)
        ctx = {
            "run_id": run.id,
            "attempt": item.attempt,
            "disable_immediate_execution": run.force_step_plan,
            "max_attempts": fn.config.retries + 1,
            "fn_id": fn.id,
            "step_id": item.step_id or "step",
            "env": "dev",
            "stack": {"stack": stack, "current": len(stack)},
        }
        head = {"event": events[0] if events else {}, "ctx": ctx, "version": 1}
        events_text = dumps(events)
        if len(memos) + len(events_text) > USE_API_THRESHOLD_BYTES:
            head.update(events=None, steps={}, use_api=True)
            return dumps(head).encode()
        head["use_api"] = False
        text = dumps(head)
        return (text[:-1] + f',"events":{events_text},"steps":{memos}}}').encode()

    def _call_url(self, fn: _Function, step_id: str | None) -> str:
        parts = urlsplit(fn.config.url)
        query = dict(parse_qsl(parts.query))
        query["fnId"] = fn.id
        query["stepId"] = step_id or "step"
        return urlunsplit(parts._replace(query=urlencode(query)))

    async def _call(self, item: QueueItem, run: RunRow, fn: _Function) -> Outcome:
        body = self._request_body(item, run, fn)
        started = time.perf_counter()
        try:
            response = await self._caller.post(self._call_url(fn, item.step_id), body)
        except httpx.HTTPError as exc:
            return Outcome(status=0, transport_error=f"could not reach the app: {exc!r}")
        log.debug(
            "app called",
            extra={
                "run_id": run.id,
                "step_id": item.step_id,
                "status": response.status,
                "ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        return parse_response(response)

    def _apply(
        self,
        item: QueueItem,
        run: RunRow,
        fn: _Function | None,
        outcome: Outcome,
        effects: _Effects,
    ) -> None:
        now = now_ms()
        if outcome.status == 200:
            output = outcome.body
            size = len(dumps(output))
            if size > MAX_STEP_OUTPUT_BYTES:
                self._fail_limit(run, f"the function's output is {size:,} bytes", now, effects)
                return
            self._finish(run, "Completed", output, None, now, effects)
            return
        if outcome.status == 206 and isinstance(outcome.body, list):
            self._apply_ops(item, run, fn, outcome.body, outcome.no_retry, now, effects)
            return
        error = function_error(outcome)
        retries = fn.config.retries if fn else 0
        if outcome.no_retry or item.attempt >= retries:
            self._finish(run, "Failed", None, error, now, effects, failure_reason(outcome))
            return
        self.state.set_run_error(run.id, error)
        retry_at = outcome.retry_at or now + self._backoff(item.attempt)
        self.state.enqueue(
            run.id,
            "call",
            retry_at,
            step_id=item.step_id,
            attempt=item.attempt + 1,
            priority_ms=run.priority_ms,
        )
        log.info("run will retry", extra={"run_id": run.id, "attempt": item.attempt + 1})

    def _backoff(self, attempt: int) -> int:
        delay = min(self.config.retry_max_ms, self.config.retry_base_ms * 2**attempt)
        return int(delay * random.uniform(0.75, 1.25))

    def _apply_ops(
        self,
        item: QueueItem,
        run: RunRow,
        fn: _Function | None,
        ops: list[Any],
        no_retry: bool,
        now: int,
        effects: _Effects,
    ) -> None:
        progressed = False
        race = False
        if len(ops) > 1 and not run.force_step_plan:
            # After parallel steps Inngest has the SDK plan every step (the spec's
            # ``disable_immediate_execution``) for the rest of the run.
            self.state.set_force_step_plan(run.id)
        for op in ops:
            if not isinstance(op, dict) or not isinstance(op.get("id"), str):
                self._finish(run, "Failed", None, plain_error("malformed step op"), now, effects)
                return
            step_id: str = op["id"]
            kind = op.get("op")
            name = str(op.get("displayName") or op.get("name") or step_id)
            opts: dict[str, Any] = op["opts"] if isinstance(op.get("opts"), dict) else {}
            race = race or opts.get("parallelMode") == "race"
            if kind in ("StepRun", "StepError", "StepFailed"):
                self.state.bump("steps_executed")
            existing = self.state.get_step(run.id, step_id)
            if existing is not None and existing.memo is not None:
                continue
            if existing is not None and existing.status in _PENDING and kind in _SCHEDULING_OPS:
                continue
            if existing is None and self.state.step_count(run.id) >= MAX_STEPS_PER_RUN:
                self._fail_limit(run, f"more than {MAX_STEPS_PER_RUN:,} steps", now, effects)
                return
            if kind == "StepRun":
                memo = {"data": op.get("data")}
                if not self._memoize_new(run, step_id, name, kind, memo, now, effects):
                    return
                progressed = True
            elif (
                kind == "StepError"
                and not no_retry
                and fn is not None
                and item.attempt < fn.config.retries
            ):
                self.state.upsert_step(
                    run.id,
                    step_id,
                    name=name,
                    op=kind,
                    status="errored",
                    now=now,
                    error=op.get("error"),
                    attempt_done=True,
                )
                self.state.enqueue(
                    run.id,
                    "call",
                    now + self._backoff(item.attempt),
                    step_id=item.step_id,
                    attempt=item.attempt + 1,
                    priority_ms=run.priority_ms,
                )
            elif kind in ("StepError", "StepFailed"):
                memo = {"error": op.get("error") or plain_error("step failed")}
                if not self._memoize_new(run, step_id, name, kind, memo, now, effects, "failed"):
                    return
                progressed = True
            elif kind == "StepPlanned":
                self.state.upsert_step(
                    run.id, step_id, name=name, op=kind, status="planned", now=now
                )
                self.state.enqueue(
                    run.id, "call", now, step_id=step_id, priority_ms=run.priority_ms
                )
            elif kind == "Sleep":
                until = sleep_until(op, now)
                self.state.upsert_step(
                    run.id,
                    step_id,
                    name=name,
                    op=kind,
                    status="sleeping",
                    now=now,
                    opts={**opts, "until": until},
                )
                self.state.enqueue(run.id, "sleep", until, step_id=step_id)
            elif kind == "WaitForEvent":
                timeout = parse_duration_ms(str(opts.get("timeout") or "0s"))
                self.state.upsert_step(
                    run.id, step_id, name=name, op=kind, status="waiting", now=now, opts=opts
                )
                expression = opts.get("if")
                self.state.add_wait(run.id, step_id, str(op.get("name")), expression, now + timeout)
                self.state.enqueue(run.id, "wait_timeout", now + timeout, step_id=step_id)
            elif kind == "InvokeFunction":
                self.state.upsert_step(
                    run.id, step_id, name=name, op=kind, status="invoking", now=now, opts=opts
                )
                self._invoke(run, step_id, opts, now, effects)
            elif kind == "AIGateway":
                error = plain_error(
                    "step.ai is not supported by the embedded engine; call the model inside "
                    "step.run instead, or run this function on Inngest",
                    name="NotSupportedError",
                )
                self._memoize_new(
                    run, step_id, name, kind, {"error": error}, now, effects, "failed"
                )
                progressed = True
            else:
                message = f"unknown step op {kind!r} from the SDK"
                self._finish(run, "Failed", None, plain_error(message), now, effects)
                return
        if progressed and (race or not self.state.has_pending_calls(run.id)):
            self.state.enqueue(run.id, "call", now, priority_ms=run.priority_ms)

    def _discover(self, run: RunRow, at: int) -> None:
        """Call the function again so it reports what comes after the new memo."""
        if not self.state.has_pending_calls(run.id):
            self.state.enqueue(run.id, "call", at, priority_ms=run.priority_ms)

    def _memoize_new(
        self,
        run: RunRow,
        step_id: str,
        name: str,
        op: str,
        memo: Any,
        now: int,
        effects: _Effects,
        status: str = "completed",
    ) -> bool:
        text = dumps(memo)
        if len(text) > MAX_STEP_OUTPUT_BYTES:
            self._fail_limit(run, f"step {name!r} returned {len(text):,} bytes", now, effects)
            return False
        if self.state.add_state_bytes(run.id, len(text)) > MAX_RUN_STATE_BYTES:
            self._fail_limit(run, "the run's state went past 32 MiB", now, effects)
            return False
        self.state.upsert_step(
            run.id,
            step_id,
            name=name,
            op=op,
            status=status,
            now=now,
            memo=text,
            error=memo.get("error") if isinstance(memo, dict) else None,
            attempt_done=True,
        )
        return True

    def _memoize(
        self,
        run: RunRow,
        step_id: str,
        memo: Any,
        status: str,
        now: int,
        effects: _Effects,
    ) -> None:
        """Resolve a pending step (sleep, wait, invoke) and let the run continue."""
        step = self.state.get_step(run.id, step_id)
        if step is None or step.memo is not None:
            return
        if not self._memoize_new(run, step_id, step.name, step.op, memo, now, effects, status):
            return
        self._discover(run, now)
        effects.wake = True

    def _invoke(
        self, run: RunRow, step_id: str, opts: dict[str, Any], now: int, effects: _Effects
    ) -> None:
        target_id = str(opts.get("function_id", ""))
        target = self._functions.get(target_id)
        if target is None:
            error = plain_error(f"function {target_id!r} is not registered", name="Error")
            self._memoize(run, step_id, {"error": error}, "failed", now, effects)
            return
        payload: dict[str, Any] = opts["payload"] if isinstance(opts.get("payload"), dict) else {}
        data: dict[str, Any] = payload["data"] if isinstance(payload.get("data"), dict) else {}
        event: dict[str, Any] = {
            "name": INVOKED_EVENT,
            "data": {
                **data,
                "_inngest": {
                    "source_app_id": "",
                    "source_fn_id": run.function_id,
                    "source_run_id": run.id,
                    "source_step_id": step_id,
                },
            },
        }
        if payload.get("v"):
            event["v"] = payload["v"]
        validated = validate_events(event)[0]
        internal_id = new_ulid()
        validated["id"] = internal_id
        validated["ts"] = now
        self.state.insert_event(internal_id, validated, now)
        child = self._create_run(target, [internal_id], now, effects, parent=(run.id, step_id))
        if child is None:
            error = plain_error(f"invoking {target_id!r} was skipped by its flow control")
            self._memoize(run, step_id, {"error": error}, "failed", now, effects)
            return
        if opts.get("timeout"):
            expires = now + parse_duration_ms(str(opts["timeout"]))
            self.state.enqueue(run.id, "invoke_timeout", expires, step_id=step_id)

    def _fail_limit(self, run: RunRow, detail: str, now: int, effects: _Effects) -> None:
        limits = (
            f"limits: {MAX_STEPS_PER_RUN:,} steps per run, 4 MiB per step output, "
            "32 MiB of state per run"
        )
        error = plain_error(f"run exceeded a limit: {detail} ({limits})", name="LimitExceededError")
        log.warning("run exceeded a limit", extra={"run_id": run.id, "detail": detail})
        self._finish(run, "Failed", None, error, now, effects)

    def _after(self, effects: _Effects) -> None:
        if effects.wake:
            self._wake.set()
        if effects.finished_runs:
            asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- waiting (for tests, the CLI and embedding) ------------------------------

    async def wait_for_run(self, run_id: str, timeout: float = 30.0) -> RunRow:
        """Wait until a run ends and return it."""

        def ended() -> RunRow | None:
            run = self.state.get_run(run_id)
            return run if run is not None and run.status in FINAL_STATUSES else None

        run: RunRow = await self._wait_until(ended, timeout, f"run {run_id} did not end")
        return run

    async def wait_for_runs(
        self, event_id: str, count: int = 1, timeout: float = 30.0
    ) -> list[RunRow]:
        """Wait until ``count`` runs exist for an event (by its id or internal id)."""

        def runs() -> list[RunRow] | None:
            found = self.state.find_event(event_id)
            if found is None:
                return None
            rows = self.state.runs_for_event(found[0])
            return rows if len(rows) >= count else None

        found: list[RunRow] = await self._wait_until(runs, timeout, f"no run for event {event_id}")
        return found

    async def _wait_until(self, probe: Any, timeout: float, message: str) -> Any:
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
        return {
            "runs_started": counters.get("runs_started", 0),
            "runs_completed": counters.get("runs_completed", 0),
            "runs_failed": counters.get("runs_failed", 0),
            "runs_cancelled": counters.get("runs_cancelled", 0),
            "runs_skipped": counters.get("runs_skipped", 0),
            "steps_executed": counters.get("steps_executed", 0),
            "queue_depth": self.state.queue_depth(),
            "in_flight": self._in_flight,
        }
