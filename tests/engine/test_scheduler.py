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


async def test_one_result_failing_to_apply_spares_the_others_in_its_batch(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Results that arrive together are applied in one transaction; when one fails, the
    batch rolls back, each is applied alone, and only the failing one is called again."""
    client = make_client(engine)
    real_apply = scheduler_module.apply_outcome
    failures: list[str] = []

    def apply_failing_for_one_run(core: Any, item: Any, run: Any, *rest: Any) -> None:
        # The first run to get a result fails to apply it twice: in its batch (maybe of
        # one), then alone; its call is then queued again and applies on the next try.
        if len(failures) < 2 and (not failures or failures[0] == run.id):
            failures.append(run.id)
            raise RuntimeError("disk full, say")
        real_apply(core, item, run, *rest)

    monkeypatch.setattr(scheduler_module, "apply_outcome", apply_failing_for_one_run)
    monkeypatch.setattr(scheduler_module, "RETRY_APPLY_MS", 10)

    @client.create_function(fn_id="many", trigger=inngest.TriggerEvent(event="t/many"))
    async def many(ctx: inngest.Context) -> str:
        one = await ctx.step.run("one", lambda: "1")
        return one + await ctx.step.run("two", lambda: "2")

    await serve(engine, client, [many])
    ids = await engine.send([{"name": "t/many", "data": {"i": i}} for i in range(12)])
    runs = [(await engine.wait_for_runs(event_id))[0] for event_id in ids]
    ended = [await engine.wait_for_run(run.id, timeout=30) for run in runs]

    assert [run.status for run in ended] == ["Completed"] * 12
    assert {run.output for run in ended} == {"12"}
    assert len(failures) == 2
    assert failures[0] in {run.id for run in ended}
    assert engine.state.queue_depth() == 0
