"""``POST /webhooks/{type}``: each source type's deliveries, through its spec's handler.

The signature is checked against each source's secret before the body is parsed; a
change becomes a debounced ``source.changed`` event (never a sync started inline) and
removals a ``documents.removed`` event. Unknown types and types without webhooks are 404.
"""

from __future__ import annotations

import logging
from typing import Any

import inngest
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sourcesync import db
from sourcesync.connectors.registry import UnknownSourceTypeError, all_specs, get_spec
from sourcesync.connectors.webhooks import (
    SourceChange,
    WebhookHandler,
    WebhookRejectedError,
    WebhookReply,
    WebhookRequest,
)
from sourcesync.documents import scoped_document_id
from sourcesync.events import DocumentsRemoved, SourceChanged
from sourcesync.observability import webhook_result
from sourcesync.workflows.services import Services

log = logging.getLogger("sourcesync.webhooks")

MAX_BODY_BYTES = 25 * 1024 * 1024
"""The largest delivery the big webhook senders make (25 MB); larger bodies are refused before they are read whole."""
REMOVED_IDS_PER_EVENT = 500


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _read_body(request: Request) -> bytes | None:
    """The raw body, or None once it grows past ``MAX_BODY_BYTES``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def create_webhook_router(services: Services, client: inngest.Inngest) -> APIRouter:
    router = APIRouter(prefix="/webhooks")

    def sources_of(source_type: str) -> list[db.Source]:
        with services.reading() as session:
            return db.list_sources_of_type(session, source_type)

    async def announce(source: db.Source, change: SourceChange) -> None:
        event_id = f"{change.delivery_id}:{source.id}"
        for start in range(0, len(change.removed_ids), REMOVED_IDS_PER_EVENT):
            names = change.removed_ids[start : start + REMOVED_IDS_PER_EVENT]
            removed = DocumentsRemoved(
                workspace_id=source.workspace_id,
                source_id=source.id,
                document_ids=[scoped_document_id(source.id, name) for name in names],
            )
            await client.send(
                inngest.Event(
                    id=f"{event_id}:removed:{start}", name=removed.name, data=removed.to_data()
                )
            )
        if change.sync:
            changed = SourceChanged(
                workspace_id=source.workspace_id,
                source_id=source.id,
                source_type=source.type,
                before=change.before,
                after=change.after,
            )
            await client.send(inngest.Event(id=event_id, name=changed.name, data=changed.to_data()))

    @router.post("/{source_type}")
    async def webhook(source_type: str, request: Request) -> JSONResponse:
        answer = await deliver(source_type, request)
        result = webhook_result(answer.status_code)
        # Only registered types become a label: a scan of made-up paths adds no series.
        label = source_type if source_type in all_specs() else "unknown"
        services.metrics.webhook_deliveries.labels(label, result).inc()
        return answer

    async def deliver(source_type: str, request: Request) -> JSONResponse:
        try:
            handler: WebhookHandler[Any, Any] | None = get_spec(source_type).webhooks
        except UnknownSourceTypeError:
            handler = None
        if handler is None:
            return _error(404, f"no webhooks for source type {source_type!r}")
        body = await _read_body(request)
        if body is None:
            return _error(413, f"webhook body over {MAX_BODY_BYTES} bytes")
        delivery = WebhookRequest(
            headers={key.lower(): value for key, value in request.headers.items()}, body=body
        )
        if (reply := handler.handshake(delivery)) is not None:
            return JSONResponse(dict(reply.body), status_code=reply.status)
        spec = get_spec(source_type)
        signed: list[tuple[db.Source, Any]] = []
        for source in await services.in_thread(sources_of, source_type):
            try:
                config = spec.parse_config(source.config)
            except ValueError:
                log.warning("source config unreadable", extra={"source": source.id})
                continue
            secret = handler.secret(config)
            if secret and handler.verify(delivery, secret):
                signed.append((source, config))
        if not signed:
            return _error(401, "invalid or missing webhook signature")
        try:
            parsed = handler.parse(delivery)
        except WebhookRejectedError as exc:
            return _error(exc.status, str(exc))
        except RecursionError:
            return _error(400, "webhook body nested too deeply")
        if isinstance(parsed, WebhookReply):
            return JSONResponse(dict(parsed.body), status_code=parsed.status)
        accepted = []
        for source, config in signed:
            change = handler.change_for(parsed, config)
            if change is None:
                continue
            await announce(source, change)
            accepted.append(source.name)
        log.info("webhook", extra={"type": source_type, "sources": ",".join(accepted)})
        return JSONResponse({"accepted": accepted}, status_code=202)

    return router
