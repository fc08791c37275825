"""Running the engine as a process: ``sourcesync engine``, until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import signal
from typing import Any

from .config import EngineConfig
from .engine import Engine

log = logging.getLogger("sourcesync.engine")


def load_app(spec: str) -> Any:
    """Import ``module:attribute`` (an ASGI app serving ``/api/inngest``)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"--app must look like MODULE:ATTRIBUTE, got {spec!r}")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attribute)
    except AttributeError as exc:
        raise ValueError(f"module {module_name!r} has no attribute {attribute!r}") from exc


async def serve_forever(config: EngineConfig, app_spec: str | None = None) -> None:
    """Start the engine (and the in-process app), serve until a stop signal arrives."""
    os.environ.setdefault("INNGEST_DEV", f"http://{config.host}:{config.port}")
    engine = Engine(config)
    await engine.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        if app_spec:
            functions = await engine.register_app(load_app(app_spec))
            log.info("app registered in process", extra={"functions": ",".join(functions)})
        else:
            log.info(
                "waiting for apps to sync",
                extra={"hint": f"set INNGEST_DEV={engine.url} and PUT your serve endpoint"},
            )
        await stop.wait()
    finally:
        await engine.stop()
