"""The scheduler: leases ready queue items within concurrency limits, calls apps, fires
timers (sleeps, wait and invoke timeouts, debounces, batches, crons), and applies every
result in one transaction with the removal of its queue item."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .app_calls import AppCaller
from .clock import now_ms
from .config import IDEMPOTENCY_WINDOW_MS, PRUNE_BATCH
from .core import Core, Effects
from .durations import parse_duration_ms
from .enums import InternalEvent, QueueKind, RunStatus, StepStatus
from .opcodes import apply_outcome
from .protocol import call
from .registry import RegisteredFunction, next_cron_ms
from .responses import Outcome, plain_error
from .routing import drain, ingest_one
from .runs import create_run, finish, resolve_step
from .state import QueueItem, RunRow

log = logging.getLogger("sourcesync.engine")

PRUNE_INTERVAL_MS = 60_000
READY_BATCH = 500
IDLE_WAIT_S = 1.0
BLOCKED_WAIT_S = 0.05
EVENTS_CACHE_RUNS = 1_024
RETRY_APPLY_MS = 1_000


@dataclass(frozen=True, slots=True)
class CallResult:
    """An app's answer to a call, waiting to be applied with the removal of its item."""

    item: QueueItem
    run: RunRow
    fn: RegisteredFunction | None
    outcome: Outcome


class Scheduler:
    def __init__(self, core: Core, caller: AppCaller, on_finished: Callable[[], None]) -> None:
        self.core = core
        self.caller = caller
        self.wake = asyncio.Event()
        self.in_flight = 0
        self._on_finished = on_finished
        self._stopping = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._key_counts: dict[str, int] = defaultdict(int)
        # Concurrency keys of runs with queued calls: a run's keys never change, and a
        # pass that finds its key full skips its calls without reading the run (hundreds
        # of queued batches behind a limit of 10 would otherwise be read on every pass).
        self._run_keys: dict[str, list[tuple[str, int]]] = {}
        self.pruned_at = 0
        # Each run's events as JSON text: they never change, and every call sends them.
        self._events: dict[str, str] = {}
        # Call results waiting to be applied (``apply_results``), in arrival order.
        self._results: list[CallResult] = []

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Effects]:
        """A write transaction whose emitted events are ingested before it commits, and
        whose effects (wake-ups, finished runs) are acted on after."""
        effects = Effects()
        with self.core.store.transaction():
            yield effects
            drain(self.core, effects)
        self.after(effects)

    def after(self, effects: Effects) -> None:
        if effects.wake:
            self.wake.set()
        for run_id in effects.finished_runs:
            self._run_keys.pop(run_id, None)
            self._events.pop(run_id, None)
        if effects.finished_runs:
            self._on_finished()

    async def run(self) -> None:
        """Pass after pass until ``stop``: fire timers, dispatch ready items, then sleep
        until the next deadline or a wake-up."""
        store = self.core.store
        while not self._stopping:
            self.wake.clear()
            now = now_ms()
            try:
                self._fire_timers(now)
                blocked = self._dispatch(now)
            except Exception:
                log.exception("scheduler iteration failed")
                blocked = False
            next_at = min(
                (t for t in (store.next_run_at(), store.next_timer_at()) if t), default=None
            )
            timeout = IDLE_WAIT_S if next_at is None else max(0.0, (next_at - now_ms()) / 1000)
            if blocked:
                timeout = max(timeout, BLOCKED_WAIT_S)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=min(timeout, IDLE_WAIT_S))

    async def stop(self) -> None:
        """Stop passing and abandon in-flight calls (their items run again on restart)."""
        self._stopping = True
        self.wake.set()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.apply_results()

    def _dispatch(self, now: int) -> bool:
        """Start every ready item that capacity allows; True when some had to wait.

        Timers fire first, each in its own transaction; the pass's calls are then leased
        in one statement, and start once it has run.
        """
        store = self.core.store
        ready = store.ready_items(now, READY_BATCH)
        for item in ready:
            if item.kind != QueueKind.CALL:
                self._fire_item(item, now)
        starts: list[tuple[QueueItem, RunRow, list[tuple[str, int]]]] = []
        blocked = False
        try:
            blocked = self._lease_calls(ready, starts)
        except BaseException:
            for _, _, keys in starts:
                self._release(keys)
            raise
        for item, run, keys in starts:
            task = asyncio.create_task(self._execute(item, run, keys))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return blocked

    def _lease_calls(
        self,
        ready: list[QueueItem],
        starts: list[tuple[QueueItem, RunRow, list[tuple[str, int]]]],
    ) -> bool:
        """Pick the calls capacity allows, reading their runs and leasing them in one
        statement each; a call whose concurrency key is known to be full is skipped
        without reading its run."""
        store = self.core.store
        calls, blocked = self._candidates(ready)
        runs = store.get_runs(list({item.run_id for item in calls}))
        for item in calls:
            if self.in_flight >= self.core.config.max_in_flight:
                blocked = True
                break
            run = runs.get(item.run_id)
            if run is None or run.status.is_final:
                store.complete_item(item.id)
                self._run_keys.pop(item.run_id, None)
                continue
            keys = self._run_keys.get(run.id)
            if keys is None:
                keys = [(str(k), int(limit)) for k, limit in run.concurrency_keys]
                self._run_keys[run.id] = keys
            if self._full(keys):
                blocked = True
                continue
            for key, _ in keys:
                self._key_counts[key] += 1
            self.in_flight += 1
            starts.append((item, run, keys))
        store.lease([item.id for item, _, _ in starts])
        return blocked

    def _candidates(self, ready: list[QueueItem]) -> tuple[list[QueueItem], bool]:
        """The ready calls that may fit, judged by the concurrency keys already known
        (counting the ones picked before), so that blocked runs are not read at all.

        Most of a pass's items can be behind a full key (hundreds of runs queued behind a
        limit of 20), so the check per item is kept to a plain loop over dict lookups.
        """
        room = self.core.config.max_in_flight - self.in_flight
        counts = dict(self._key_counts)
        run_keys = self._run_keys
        picked: list[QueueItem] = []
        blocked = False
        for item in ready:
            if item.kind != QueueKind.CALL:
                continue
            if len(picked) >= room:
                return picked, True
            keys = run_keys.get(item.run_id)
            if keys is not None:
                fits = True
                for key, limit in keys:
                    if counts.get(key, 0) >= limit:
                        fits = False
                        break
                if not fits:
                    blocked = True
                    continue
                for key, _ in keys:
                    counts[key] = counts.get(key, 0) + 1
            picked.append(item)
        return picked, blocked

    def _release(self, keys: list[tuple[str, int]]) -> None:
        self.in_flight -= 1
        for key, _ in keys:
            self._key_counts[key] -= 1

    def _full(self, keys: list[tuple[str, int]]) -> bool:
        return any(self._key_counts[key] >= limit for key, limit in keys)

    def _fire_timers(self, now: int) -> None:
        core = self.core
        store = core.store
        prune = now - self.pruned_at > PRUNE_INTERVAL_MS
        next_timer = store.next_timer_at()
        if not prune and (next_timer is None or next_timer > now):
            return
        with self.transaction() as effects:
            if prune:
                # Rate-limit and idempotency marks matter for 24 hours at most.
                store.prune_marks(now - IDEMPOTENCY_WINDOW_MS)
                retention = core.config.retention_ms
                store.prune_finished_runs(now - retention, PRUNE_BATCH)
                store.prune_events(now - retention, PRUNE_BATCH)
                self.pruned_at = now
            for debounce in store.due_debounces(now):
                store.delete_debounce(debounce.function_id, debounce.key)
                fn = core.registry.get(debounce.function_id)
                if fn is not None:
                    create_run(core, fn, [debounce.event_internal_id], now, effects)
            for batch in store.due_batches(now):
                store.delete_batch(batch.function_id, batch.key)
                fn = core.registry.get(batch.function_id)
                if fn is not None:
                    create_run(core, fn, batch.event_ids, now, effects)
            for row in store.due_crons(now):
                fn = core.registry.get(row.id)
                if fn is not None and row.cron_next_at is not None:
                    self._fire_cron(fn, row.cron_next_at, now, effects)

    def _fire_cron(self, fn: RegisteredFunction, due_at: int, now: int, effects: Effects) -> None:
        core = self.core
        core.store.set_cron_next(fn.id, next_cron_ms(fn.config, now))
        for trigger in fn.config.cron_triggers:
            event = {
                "name": InternalEvent.CRON,
                "data": {"cron": trigger.cron},
                "id": f"cron:{fn.id}:{due_at}",
            }
            internal_id = ingest_one(core, event, effects)
            jitter = parse_duration_ms(trigger.jitter) if trigger.jitter else 0
            delay = random.randint(0, jitter) if jitter else 0
            create_run(core, fn, [internal_id], now, effects, delay_ms=delay)

    def _fire_item(self, item: QueueItem, now: int) -> None:
        """Timers: a sleep ends, a wait or an invoke times out, a run hits its finish timeout."""
        core = self.core
        with self.transaction() as effects:
            if not core.store.complete_item(item.id):
                return
            run = core.store.get_run(item.run_id)
            if run is None or run.status.is_final:
                return
            step_id = item.step_id or ""
            if item.kind == QueueKind.SLEEP:
                resolve_step(core, run, step_id, None, StepStatus.COMPLETED, now, effects)
            elif item.kind == QueueKind.WAIT_TIMEOUT:
                if core.store.remove_wait(run.id, step_id):
                    resolve_step(core, run, step_id, None, StepStatus.COMPLETED, now, effects)
            elif item.kind == QueueKind.INVOKE_TIMEOUT:
                error = plain_error(
                    "Timed out waiting for invoked function to complete",
                    name="InngestInvokeTimeoutError",
                )
                memo = {"error": error}
                resolve_step(core, run, step_id, memo, StepStatus.FAILED, now, effects)
            elif item.kind == QueueKind.FINISH_TIMEOUT:
                error = plain_error("run exceeded timeouts.finish", name="FunctionTimeoutError")
                finish(core, run, RunStatus.CANCELLED, None, error, now, effects)

    async def _execute(self, item: QueueItem, run: RunRow, keys: list[tuple[str, int]]) -> None:
        fn = self.core.registry.get(run.function_id)
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
                outcome = await call(
                    self.caller, self.core.store, item, run, fn, self._events_json(run)
                )
        finally:
            self._release(keys)
            self.wake.set()
        self._results.append(CallResult(item, run, fn, outcome))
        if len(self._results) == 1:
            asyncio.get_running_loop().call_soon(self.apply_results)

    def apply_results(self) -> None:
        """Apply the call results that arrived since the last time, in one transaction.

        Each result is applied with the removal of its queue item, so a crash keeps both
        or neither, as with one transaction each; one commit (one WAL write) for all the
        results that calls returned in the same turn of the loop costs less than one
        each. A result that fails to apply rolls the batch back; each is then applied in
        a transaction of its own.
        """
        results, self._results = self._results, []
        if not results:
            return
        try:
            with self.core.store.transaction():
                applied = [self._apply(result) for result in results]
        except Exception:
            for result in results:
                self._apply_alone(result)
            return
        for effects in applied:
            if effects is not None:
                self.after(effects)
        self.wake.set()

    def _apply(self, result: CallResult) -> Effects | None:
        """One result, in the caller's transaction; None when its item was gone."""
        effects = Effects()
        if not self.core.store.complete_item(result.item.id):
            return None
        # The item was still queued, so its run has not ended (ending a run deletes its
        # items): the run read at dispatch is current enough.
        apply_outcome(
            self.core, result.item, result.run, result.fn, result.outcome, now_ms(), effects
        )
        drain(self.core, effects)
        return effects

    def _apply_alone(self, result: CallResult) -> None:
        item, run = result.item, result.run
        try:
            with self.core.store.transaction():
                effects = self._apply(result)
        except Exception:
            log.exception("applying a call result failed", extra={"run_id": run.id})
            # The failed transaction left the item leased; replace it with a fresh one
            # so the call runs again (a leased item would hold the run until a restart).
            with self.core.store.transaction():
                if self.core.store.complete_item(item.id):
                    self.core.store.enqueue(
                        run.id,
                        QueueKind.CALL,
                        now_ms() + RETRY_APPLY_MS,
                        step_id=item.step_id,
                        attempt=item.attempt,
                        priority_ms=run.priority_ms,
                    )
            return
        if effects is not None:
            self.after(effects)
        self.wake.set()

    def _events_json(self, run: RunRow) -> str:
        events = self._events.get(run.id)
        if events is None:
            if len(self._events) >= EVENTS_CACHE_RUNS:
                self._events.pop(next(iter(self._events)))
            events = self.core.store.events_json(run.event_ids)
            self._events[run.id] = events
        return events

    def _begin(self, run: RunRow, fn: RegisteredFunction) -> bool:
        """Mark a queued run running; cancel it when it missed ``timeouts.start``."""
        if run.status != RunStatus.QUEUED:
            return True
        now = now_ms()
        with self.transaction() as effects:
            if run.start_deadline is not None and now > run.start_deadline:
                error = plain_error("run missed timeouts.start", name="FunctionTimeoutError")
                finish(self.core, run, RunStatus.CANCELLED, None, error, now, effects)
                return False
            self.core.store.mark_run_started(run.id, now)
            timeouts = fn.config.timeouts
            if timeouts and timeouts.finish:
                self.core.store.enqueue(
                    run.id, QueueKind.FINISH_TIMEOUT, now + parse_duration_ms(timeouts.finish)
                )
        return True
