"""The embedded engine: runs any inngest-py app durably, with no Inngest server to install.

It plays the Inngest server's part of the public SDK spec: apps register through the SDK's
own sync (``PUT`` on their serve endpoint posts to ``/fn/register``), events arrive on
``POST /e/{key}``, and runs are executed by calling the app's serve endpoint with the
event and memoized step results, acting on the opcodes it answers. State (events, runs,
steps, queue, waits, timers) lives in SQLite, so a killed engine resumes where it stopped.

Python API::

    from sourcesync.engine import Engine, EngineConfig

    engine = Engine(EngineConfig(state_path=".sourcesync/engine.db", port=8288))
    await engine.start()                          # serves http://127.0.0.1:8288
    await engine.register_app(asgi_app)           # in-process app, called on worker threads
    ids = await engine.send({"name": "app/thing.happened", "data": {"id": 1}})
    [run] = await engine.wait_for_runs(ids[0])
    run = await engine.wait_for_run(run.id)       # run.status, run.output, run.error
    await engine.stop()

The app's ``inngest.Inngest`` client must point at the engine (``api_base_url`` and
``event_api_base_url``, or ``INNGEST_DEV=http://127.0.0.1:8288``).
"""

from .config import EngineConfig
from .engine import Engine
from .enums import RunStatus, StepStatus
from .errors import (
    EngineError,
    EventValidationError,
    ExpressionError,
    RegistrationError,
    StateLockedError,
    StateVersionError,
)
from .state import RunRow, StepRow

__all__ = [
    "Engine",
    "EngineConfig",
    "EngineError",
    "EventValidationError",
    "ExpressionError",
    "RegistrationError",
    "RunRow",
    "RunStatus",
    "StateLockedError",
    "StateVersionError",
    "StepRow",
    "StepStatus",
]
