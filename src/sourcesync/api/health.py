"""Probes and metrics: ``/healthz``, ``/readyz`` and ``/metrics``.

The probes are open, as orchestrators and load balancers call them without credentials,
and say nothing but up or down (per dependency for ``/readyz``; the reason goes to the
log). ``/metrics`` reveals activity, so it asks for a bearer token of its own: the value of
the variable ``SOURCESYNC_METRICS_TOKEN_ENV`` names (Prometheus's ``authorization``
setting); without one configured it is not served.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
from collections.abc import Awaitable, Callable
from enum import StrEnum

import httpx
from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from sourcesync.observability import CONTENT_TYPE_LATEST
from sourcesync.settings import Settings
from sourcesync.workflows.services import Services

__all__ = ["HEALTH_PATH", "METRICS_PATH", "READY_PATH", "create_health_router"]

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
CHECK_TIMEOUT_S = 5.0

log = logging.getLogger("sourcesync.health")


class Dependency(StrEnum):
    DATABASE = "database"
    STORE = "store"
    ENGINE = "engine"


def create_health_router(services: Services, engine_url: str) -> APIRouter:
    """The probes and ``/metrics``; ``engine_url`` is where the workflow engine answers."""
    router = APIRouter()

    def query_database() -> None:
        with services.reading() as session:
            session.execute(text("SELECT 1"))

    async def database() -> None:
        await services.in_thread(query_database)

    async def engine() -> None:
        # Any answer below 500 means it is up: Inngest Cloud serves no probe to ask.
        async with httpx.AsyncClient(timeout=CHECK_TIMEOUT_S) as client:
            answer = await client.get(f"{engine_url.rstrip('/')}/health")
        if answer.status_code >= 500:
            raise RuntimeError(f"the engine answered {answer.status_code}")

    checks: dict[Dependency, Callable[[], Awaitable[None]]] = {
        Dependency.DATABASE: database,
        Dependency.STORE: services.vectors.check_reachable,
        Dependency.ENGINE: engine,
    }

    async def outcome(dependency: Dependency) -> str:
        try:
            await asyncio.wait_for(checks[dependency](), CHECK_TIMEOUT_S)
        except Exception as exc:  # any failure means not ready; the log says which
            log.warning("not ready", extra={"dependency": dependency, "error": repr(exc)})
            return "unavailable"
        return "ok"

    @router.get(HEALTH_PATH)
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @router.get(READY_PATH)
    async def readyz() -> JSONResponse:
        results = await asyncio.gather(*(outcome(dependency) for dependency in Dependency))
        report = dict(zip(map(str, Dependency), results, strict=True))
        ready = all(result == "ok" for result in results)
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "checks": report},
            status_code=200 if ready else 503,
        )

    @router.get(METRICS_PATH)
    async def metrics(authorization: str | None = Header(default=None)) -> Response:
        token_env = services.settings.metrics_token_env
        expected = os.environ.get(token_env, "") if token_env else ""
        if not expected:
            setting = Settings.env_name("metrics_token_env")
            return JSONResponse(
                {
                    "error": f"metrics are off: set {setting} to the name of a variable "
                    "holding the bearer token Prometheus sends"
                },
                status_code=404,
            )
        presented = (authorization or "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(presented.encode(), expected.encode()):
            return JSONResponse(
                {"error": "/metrics needs Authorization: Bearer <metrics token>"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        body = await services.in_thread(services.metrics.exposition)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router
