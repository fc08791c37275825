"""The scheduler keeps going when applying a result fails, and leases calls in batches."""

from __future__ import annotations

from typing import Any

import inngest
import pytest

from sourcesync.engine import Engine
from sourcesync.engine import scheduler as scheduler_module

from .conftest import make_client, serve


async def test_a_failure_while_applying_a_result_calls_again(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(engine)
    real_apply = scheduler_module.apply_outcome
    failures: list[int] = []

    def apply_once_failing(*args: Any, **kwargs: Any) -> None:
        if not failures:
            failures.append(1)
            raise RuntimeError("disk full, say")
        real_apply(*args, **kwargs)

    monkeypatch.setattr(scheduler_module, "apply_outcome", apply_once_failing)
    monkeypatch.setattr(scheduler_module, "RETRY_APPLY_MS", 10)

    @client.create_function(fn_id="steady", trigger=inngest.TriggerEvent(event="t/steady"))
    async def steady(ctx: inngest.Context) -> str:
        return await ctx.step.run("one", lambda: "done")

    await serve(engine, client, [steady])
    [event_id] = await engine.send({"name": "t/steady", "data": {}})
    [run] = await engine.wait_for_runs(event_id)
    run = await engine.wait_for_run(run.id, timeout=10)

    assert failures == [1]
    assert run.status == "Completed"
    assert run.output == "done"
    assert engine.state.queue_depth() == 0
