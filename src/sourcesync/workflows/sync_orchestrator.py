"""sync-orchestrator: the source-agnostic entry of every sync.

create the job → ensure the store (step.invoke) → validate the source → route to the
source's workflow (step.invoke) → count the metrics from the database → sync.completed.
A failure at any point (bad credentials fail at once) ends the job failed, with a
``sync.completed`` that says why, through the function's on_failure handler.
"""

from __future__ import annotations

import datetime
from typing import Any

import inngest

from sourcesync import db
from sourcesync.connectors.errors import SourceConfigError, SourceUnavailableError
from sourcesync.events import SourceSyncTrigger, StoreEnsured, SyncCompleted, SyncRequested

from .cancellation import JOB_CANCEL
from .metrics import job_metrics
from .services import Services
from .sources import validate_source
from .sync_queue import start_next_sync
from .timeouts import INVOKE_TIMEOUT_ERROR, Timeout, limit, timed_out
from .validation import parse_event

ORCHESTRATOR_ID = "sync-orchestrator"


def create(
    client: inngest.Inngest,
    services: Services,
    store_ensure: inngest.Function[Any],
    source_workflows: dict[str, inngest.Function[Any]],
) -> inngest.Function[Any]:
    async def finish_failed(ctx: inngest.Context) -> None:
        """on_failure: the job ends failed and ``sync.completed`` reports the error."""
        original = ctx.event.data.get("event") or {}
        data = original.get("data") if isinstance(original, dict) else None
        error = ctx.event.data.get("error") or {}
        message = str(error.get("message") if isinstance(error, dict) else error)
        run_id = str(ctx.event.data.get("run_id", ""))
        job_id = str((data or {}).get("jobId") or run_id)

        def fail() -> dict[str, Any] | None:
            with services.transaction() as session:
                job = db.get_job(session, job_id)
                if job is None:
                    return None
                job = db.mark_job_finished(session, job_id, db.JobStatus.FAILED, error=message)
                completed = SyncCompleted(
                    job_id=job.id,
                    workspace_id=job.workspace_id,
                    source_id=job.source_id,
                    status=str(job.status),  # type: ignore[arg-type]
                    metrics=job_metrics(job),
                    duration_ms=job.duration_ms or 0,
                    error=job.error,
                )
            return completed.to_data()

        data_out = await ctx.step.run("fail-job", services.in_thread, fail)
        if data_out is not None:
            await ctx.step.send_event(
                "report-failure", inngest.Event(name=SyncCompleted.name, data=data_out)
            )
            await start_next_sync(ctx, services, data_out["sourceId"], data_out["jobId"])

    @client.create_function(
        fn_id=ORCHESTRATOR_ID,
        name="Sync orchestrator",
        trigger=inngest.TriggerEvent(event=SyncRequested.name),
        timeouts=inngest.Timeouts(finish=limit(services.settings, Timeout.SYNC)),
        retries=3,
        cancel=JOB_CANCEL,
        on_failure=finish_failed,
    )
    async def sync_orchestrator(ctx: inngest.Context) -> dict[str, Any]:
        request = parse_event(SyncRequested, ctx.event.data)
        job_id = request.job_id or ctx.run_id

        def start_job() -> dict[str, Any]:
            """Create the job (unless queued already) and claim it: one sync per source."""
            with services.transaction() as session:
                try:
                    db.require_source(session, request.workspace_id, request.source_id)
                except db.SourceNotFoundError as exc:
                    raise inngest.NonRetriableError(str(exc)) from exc
                db.create_job(
                    session,
                    workspace_id=request.workspace_id,
                    source_id=request.source_id,
                    trigger=request.trigger,  # type: ignore[arg-type]
                    mode=request.mode,  # type: ignore[arg-type]
                    input=request.to_data(),
                    job_id=job_id,
                )
                claim = db.claim_job(session, job_id, ctx.run_id)
            return {
                "jobId": claim.job.id,
                "run": claim.run,
                "status": str(claim.job.status),
                "behind": claim.behind.id if claim.behind else None,
            }

        claim = await ctx.step.run("create-job", services.in_thread, start_job)
        if not claim["run"]:
            # Queued behind the source's running sync (which starts it when it ends), or
            # already ended, or run by another run of the same job: nothing to do here.
            return {"jobId": job_id, "status": claim["status"], "behind": claim["behind"]}
        store_output = await ctx.step.invoke(
            "ensure-store",
            function=store_ensure,
            data={"workspaceId": request.workspace_id},
        )
        store = StoreEnsured.model_validate(store_output)
        workflow = source_workflows.get(request.source_type)
        if workflow is None:
            raise inngest.NonRetriableError(
                f"no source type {request.source_type!r} is installed; installed: "
                + ", ".join(sorted(source_workflows))
            )

        def validate() -> str:
            with services.transaction() as session:
                source = db.require_source(session, request.workspace_id, request.source_id)
            try:
                return validate_source(source, services.settings)
            except SourceConfigError as exc:
                raise inngest.NonRetriableError(
                    f"source {source.name!r} cannot be read: {exc}"
                ) from exc
            except SourceUnavailableError as exc:
                wait = datetime.timedelta(seconds=exc.retry_after_s or 30)
                raise inngest.RetryAfterError(f"source {source.name!r}: {exc}", wait) from exc

        await ctx.step.run("validate-source", services.in_thread, validate)
        trigger = SourceSyncTrigger(
            job_id=job_id,
            workspace_id=request.workspace_id,
            source_id=request.source_id,
            namespace=store.namespace,
            mode=request.mode,
        )
        try:
            await ctx.step.invoke(
                f"sync-{request.source_type}",
                function=workflow,
                data=trigger.to_data(),
                timeout=limit(services.settings, Timeout.SYNC),
            )
        except inngest.StepError as exc:
            if exc.name != INVOKE_TIMEOUT_ERROR:
                raise
            message = timed_out(services.settings, Timeout.SYNC, f"the {request.source_type} sync")
            raise inngest.NonRetriableError(message) from exc

        def finish_job() -> dict[str, Any]:
            with services.transaction() as session:
                job = db.mark_job_finished(session, job_id, db.JobStatus.COMPLETED)
                completed = SyncCompleted(
                    job_id=job.id,
                    workspace_id=job.workspace_id,
                    source_id=job.source_id,
                    status=str(job.status),  # type: ignore[arg-type]
                    metrics=job_metrics(job),
                    duration_ms=job.duration_ms or 0,
                )
            return completed.to_data()

        completed = await ctx.step.run("collect-metrics", services.in_thread, finish_job)
        await ctx.step.send_event(
            "report-completion", inngest.Event(name=SyncCompleted.name, data=completed)
        )
        await start_next_sync(ctx, services, request.source_id, job_id)
        return completed

    return sync_orchestrator
