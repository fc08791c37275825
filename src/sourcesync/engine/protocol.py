"""The SDK protocol's call request (SDK spec 4.4): what the engine sends to run a step.

The body is ``{event, events, steps, ctx, version, use_api}``: the run's events and its
memoized steps go back on every call, as on Inngest, so they are spliced in as the JSON
text they are stored as rather than decoded and encoded again.
"""

from __future__ import annotations

import functools
import logging
import time
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import httpx

from .app_calls import AppCaller
from .config import USE_API_THRESHOLD_BYTES
from .ids import new_ulid
from .registry import RegisteredFunction
from .responses import Outcome, parse_response
from .state import QueueItem, RunRow, StateStore, dumps

log = logging.getLogger("sourcesync.engine")

DISCOVERY_STEP_ID = "step"


def request_body(
    store: StateStore,
    item: QueueItem,
    run: RunRow,
    fn: RegisteredFunction,
    events: str,
    request_id: str,
) -> bytes:
    """The call request for ``item``; ``events`` is the run's events as a JSON array text,
    ``request_id`` this request's own id (also its ``x-request-id`` header)."""
    memos, stack = store.memos_json(run.id)
    ctx = {
        "run_id": run.id,
        "attempt": item.attempt,
        "disable_immediate_execution": run.force_step_plan,
        "max_attempts": fn.config.retries + 1,
        "fn_id": fn.id,
        "step_id": item.step_id or DISCOVERY_STEP_ID,
        "env": "dev",
        "request_id": request_id,
        "stack": {"stack": stack, "current": len(stack)},
    }
    head = dumps({"ctx": ctx, "version": 1})[:-1]
    if len(run.event_ids) == 1:
        first = events[1:-1] or "{}"
    else:
        first = store.events_json(run.event_ids[:1])[1:-1] or "{}"
    if len(memos) + len(events) > USE_API_THRESHOLD_BYTES:
        return f'{head},"event":{first},"events":null,"steps":{{}},"use_api":true}}'.encode()
    return f'{head},"event":{first},"events":{events},"steps":{memos},"use_api":false}}'.encode()


@functools.lru_cache(maxsize=1024)
def _url_prefix(url: str, fn_id: str) -> str:
    """The function's serve URL with ``fnId`` set, ending where ``stepId``'s value goes."""
    parts = urlsplit(url)
    query = {k: v for k, v in parse_qsl(parts.query) if k not in ("fnId", "stepId")}
    query["fnId"] = fn_id
    return urlunsplit(parts._replace(query=urlencode(query) + "&stepId="))


def call_url(fn: RegisteredFunction, step_id: str | None) -> str:
    return _url_prefix(fn.config.url, fn.id) + quote(step_id or DISCOVERY_STEP_ID, safe="")


async def call(
    caller: AppCaller,
    store: StateStore,
    item: QueueItem,
    run: RunRow,
    fn: RegisteredFunction,
    events: str,
) -> Outcome:
    """Make one call request and read the answer; an unreachable app is an outcome too."""
    request_id = new_ulid()
    body = request_body(store, item, run, fn, events, request_id)
    started = time.perf_counter()
    try:
        step_id = item.step_id or DISCOVERY_STEP_ID
        response = await caller.post(
            call_url(fn, item.step_id), body, run_id=run.id, step_id=step_id, request_id=request_id
        )
    except httpx.HTTPError as exc:
        return Outcome(status=0, transport_error=f"could not reach the app: {exc!r}")
    if log.isEnabledFor(logging.DEBUG):
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
