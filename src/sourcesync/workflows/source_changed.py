"""source-changed: webhook deliveries, debounced per source into one incremental sync."""

from __future__ import annotations

import datetime
from typing import Any

import inngest

from sourcesync.events import SourceChanged

from .services import Services
from .sync_requests import request_sync
from .validation import parse_event


def create(client: inngest.Inngest, services: Services) -> inngest.Function[Any]:
    @client.create_function(
        fn_id="source-changed",
        name="Source changed",
        trigger=inngest.TriggerEvent(event=SourceChanged.name),
        debounce=inngest.Debounce(
            key="event.data.sourceId",
            period=datetime.timedelta(seconds=services.settings.webhook_debounce_seconds),
            timeout=datetime.timedelta(minutes=5),
        ),
        retries=3,
    )
    async def source_changed(ctx: inngest.Context) -> dict[str, Any]:
        request = parse_event(SourceChanged, ctx.event.data)

        job_id = await request_sync(
            ctx,
            services,
            workspace_id=request.workspace_id,
            source_id=request.source_id,
            source_type=request.source_type,
            mode="incremental",
            trigger="webhook",
            before=request.before,
            after=request.after,
        )
        return {"jobId": job_id}

    return source_changed
