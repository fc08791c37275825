"""Webhook endpoints: the signature is checked before anything else, and a change becomes
a debounced ``source.changed`` event, never a sync started inline."""

from __future__ import annotations

import logging
import os
from typing import Any

import inngest
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sourcesync import db
from sourcesync.connectors.github import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    WebhookPayloadError,
    parse_push_event,
)
from sourcesync.connectors.github import (
    SIGNATURE_HEADER as GITHUB_SIGNATURE_HEADER,
)
from sourcesync.connectors.github import (
    verify_signature as verify_github_signature,
)
from sourcesync.connectors.linear import (
    SIGNATURE_HEADER as LINEAR_SIGNATURE_HEADER,
)
from sourcesync.connectors.linear import (
    WebhookRejectedError,
)
from sourcesync.connectors.linear import (
    parse_webhook as parse_linear_webhook,
)
from sourcesync.events import DocumentsRemoved, SourceChanged
from sourcesync.workflows.services import Services

log = logging.getLogger("sourcesync.webhooks")
LINEAR_TYPES = frozenset({"Issue", "Comment", "Project"})


def _unauthorized() -> JSONResponse:
    return JSONResponse({"error": "invalid or missing webhook signature"}, status_code=401)


def _secret(source: db.Source) -> str | None:
    name = source.config.get("webhook_secret_env")
    return os.environ.get(name) if name else None


def create_webhook_router(services: Services, client: inngest.Inngest) -> APIRouter:
    router = APIRouter(prefix="/webhooks")

    def sources_of(source_type: str) -> list[db.Source]:
        with services.transaction() as session:
            workspaces = [w.id for w in db.list_workspaces(session)]
            return [
                source
                for workspace in workspaces
                for source in db.list_sources(session, workspace)
                if source.type == source_type
            ]

    async def announce(source: db.Source, event_id: str, **extra: Any) -> None:
        changed = SourceChanged(
            workspace_id=source.workspace_id,
            source_id=source.id,
            source_type=str(source.type),  # type: ignore[arg-type]
            **extra,
        )
        await client.send(inngest.Event(id=event_id, name=changed.name, data=changed.to_data()))

    @router.post("/github")
    async def github(request: Request) -> JSONResponse:
        body = await request.body()
        signature = request.headers.get(GITHUB_SIGNATURE_HEADER)
        candidates = await services.in_thread(sources_of, "github")
        signed = [
            s
            for s in candidates
            if (secret := _secret(s)) and verify_github_signature(secret, body, signature)
        ]
        if not signed:
            return _unauthorized()
        kind = request.headers.get(EVENT_HEADER, "")
        if kind == "ping":
            return JSONResponse({"ok": True})
        if kind != "push":
            return JSONResponse({"ignored": kind or "unknown event"}, status_code=202)
        delivery = request.headers.get(DELIVERY_HEADER, "")
        try:
            push = parse_push_event(body, delivery)
        except WebhookPayloadError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        accepted = []
        for source in signed:
            branch = source.config.get("branch")
            same_repo = str(source.config.get("repository", "")).lower() == push.repository.lower()
            if not same_repo or push.branch is None or (branch and branch != push.branch):
                continue
            await announce(
                source, f"github:{delivery}:{source.id}", before=push.before, after=push.after
            )
            accepted.append(source.name)
        log.info("github push", extra={"delivery": delivery, "sources": ",".join(accepted)})
        return JSONResponse({"accepted": accepted}, status_code=202)

    @router.post("/linear")
    async def linear(request: Request) -> JSONResponse:
        body = await request.body()
        signature = request.headers.get(LINEAR_SIGNATURE_HEADER)
        matched: list[tuple[db.Source, Any]] = []
        for source in await services.in_thread(sources_of, "linear"):
            secret = _secret(source)
            if not secret:
                continue
            try:
                matched.append((source, parse_linear_webhook(body, signature, secret)))
            except WebhookRejectedError:
                continue
        if not matched:
            return _unauthorized()
        accepted = []
        for source, delivery in matched:
            if delivery.type not in LINEAR_TYPES:
                continue
            event_id = f"linear:{delivery.entity_id}:{delivery.delivered_at.isoformat()}"
            if delivery.deleted_ids:
                removed = DocumentsRemoved(
                    workspace_id=source.workspace_id,
                    source_id=source.id,
                    document_ids=list(delivery.deleted_ids),
                )
                await client.send(
                    inngest.Event(
                        id=f"{event_id}:removed:{source.id}",
                        name=removed.name,
                        data=removed.to_data(),
                    )
                )
            await announce(source, f"{event_id}:{source.id}")
            accepted.append(source.name)
        return JSONResponse({"accepted": accepted}, status_code=202)

    return router
