"""Calling an app's serve endpoint: in-process ASGI apps on worker threads, others over HTTP.

In-process apps run on a small pool of worker threads, each with its own event loop, so a
step body that blocks (sync I/O, CPU work) stalls one worker, never the engine's loop with
its scheduler, timers, event API and inspection API.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from .asgi_call import asgi_post, serve_route
from .canonical_json import canonical_json

# Inngest's executor names itself so on every request it makes to an app.
USER_AGENT = "Inngest"


@dataclass(frozen=True, slots=True)
class AppResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


def sign_body(body: bytes, signing_key: str, now_s: int | None = None) -> str:
    """``X-Inngest-Signature`` for a body, as the SDK spec defines it (``t=...&s=...``)."""
    timestamp = int(time.time()) if now_s is None else now_s
    key = re.sub(r"^signkey-\w+-", "", signing_key).encode()
    mac = hmac.new(key, body, hashlib.sha256)
    mac.update(str(timestamp).encode())
    return f"t={timestamp}&s={mac.hexdigest()}"


def hashed_signing_key(signing_key: str) -> str:
    """The bearer token an SDK presents to the API: sha256 of the key's hex bytes."""
    raw = re.sub(r"^signkey-\w+-", "", signing_key)
    return hashlib.sha256(bytes.fromhex(raw)).hexdigest()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


Answer = tuple[int, dict[str, str], bytes]


def _settle(
    answer: asyncio.Future[Answer], result: Answer | None, error: BaseException | None
) -> None:
    """Hand a worker's answer to the future the engine awaits (on the engine's loop)."""
    if answer.done():
        return
    if isinstance(error, asyncio.CancelledError):
        answer.cancel()
    elif error is not None:
        answer.set_exception(error)
    elif result is not None:
        answer.set_result(result)


def _cancel(tasks: list[asyncio.Task[Answer]]) -> None:
    for task in tasks:
        task.cancel()


class _Worker:
    """A thread running its own event loop; it serves one call at a time."""

    def __init__(self, index: int) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name=f"engine-app-worker-{index}", daemon=True
        )
        self._thread.start()

    async def post(self, app: Any, url: str, body: bytes, headers: dict[str, str]) -> AppResponse:
        """Run the request on this worker's loop and await its answer here.

        One ``call_soon_threadsafe`` each way: ``run_coroutine_threadsafe`` with
        ``wrap_future`` chains a concurrent future (and its lock) between two asyncio
        futures, which profiling showed as a tenth of the engine loop's time per call.
        """
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Answer] = loop.create_future()
        started: list[asyncio.Task[Answer]] = []

        def finished(task: asyncio.Task[Answer]) -> None:  # on the worker's loop
            if loop.is_closed():
                return
            if task.cancelled():
                loop.call_soon_threadsafe(_settle, answer, None, asyncio.CancelledError())
            else:
                error = task.exception()
                result = None if error is not None else task.result()
                loop.call_soon_threadsafe(_settle, answer, result, error)

        def start() -> None:  # on the worker's loop
            task = self.loop.create_task(asgi_post(app, url, body, headers))
            started.append(task)
            task.add_done_callback(finished)

        self.loop.call_soon_threadsafe(start)
        try:
            status, response_headers, content = await answer
        except asyncio.CancelledError:
            # The engine stopped waiting (it is stopping): stop the request too.
            self.loop.call_soon_threadsafe(_cancel, started)
            raise
        return AppResponse(status, response_headers, content)

    def run(self, coroutine: Any) -> Any:
        """Run a coroutine on this worker's loop and wait for it (from another thread)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def stop(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)


class AppCaller:
    """Sends call requests to apps, at most ``max_in_flight`` at a time.

    In-process calls each get a worker thread of their own (idle workers are reused, new
    ones started up to ``max_in_flight``), so a step that blocks holds up only itself.
    """

    def __init__(self, *, max_in_flight: int = 64, signing_key: str | None = None) -> None:
        self._idle: list[_Worker] = []
        self._workers: list[_Worker] = []
        self._in_process: dict[str, Any] = {}
        # The SDK's handler in an in-process app, by serve URL (without the query).
        self._serve_routes: dict[str, Any] = {}
        self._slots = asyncio.Semaphore(max_in_flight)
        self._signing_key = signing_key
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(None, connect=10.0))

    def mount(self, origin: str, app: Any, serve_url: str) -> None:
        """Serve calls to URLs under ``origin`` with the ASGI ``app``, in process; calls to
        ``serve_url`` go straight to the SDK's handler when the app is a FastAPI app."""
        self._in_process[origin.rstrip("/")] = app
        route = serve_route(app, serve_url)
        if route is not None:
            self._serve_routes[serve_url] = route
        else:  # a new app at the same URL, served whole
            self._serve_routes.pop(serve_url, None)

    def headers(self, body: bytes, run_id: str, step_id: str, request_id: str) -> dict[str, str]:
        """The headers of a call request, those Inngest's executor sends (its
        ``httpdriver``): no SDK or server-kind header, which it sends only when syncing."""
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "x-run-id": run_id,
            "x-request-id": request_id,
            "x-inngest-step-id": step_id,
        }
        if self._signing_key:
            # The SDK verifies the signature over the JSON canonical form (RFC 8785).
            headers["x-inngest-signature"] = sign_body(canonical_json(body), self._signing_key)
        return headers

    def _acquire(self) -> _Worker:
        if self._idle:
            return self._idle.pop()
        worker = _Worker(len(self._workers))
        self._workers.append(worker)
        return worker

    async def post(
        self, url: str, body: bytes, *, run_id: str, step_id: str, request_id: str
    ) -> AppResponse:
        """POST a call request; connection errors propagate as ``httpx.HTTPError``."""
        headers = self.headers(body, run_id, step_id, request_id)
        async with self._slots:
            app = self._serve_routes.get(url.split("?", 1)[0]) or self._in_process.get(_origin(url))
            if app is None:
                response = await self._http.post(url, content=body, headers=headers)
                return AppResponse(response.status_code, dict(response.headers), response.content)
            worker = self._acquire()
            try:
                return await worker.post(app, url, body, headers)
            finally:
                self._idle.append(worker)

    def put_in_process(self, url: str) -> AppResponse:
        """Make an in-process app sync itself (``PUT`` on its serve URL), blocking."""
        origin = _origin(url)
        app = self._in_process[origin]

        async def put() -> AppResponse:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=origin, timeout=30
            ) as client:
                response = await client.put(url)
                return AppResponse(response.status_code, dict(response.headers), response.content)

        worker = _Worker(-1)
        try:
            result: AppResponse = worker.run(put())
        finally:
            worker.stop()
        return result

    async def aclose(self) -> None:
        await self._http.aclose()
        for worker in self._workers:
            await asyncio.to_thread(worker.stop)
        self._workers = []
        self._idle = []
