"""Vercel webhook deliveries: verification and what each one asks of the sync.

Vercel signs the raw request body with HMAC-SHA1 under the integration's (or the account
webhook's) secret and sends the hex digest in ``x-vercel-signature``. The body is
``{id, type, createdAt, payload: {deployment?, project?, team?, ...}}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from ..webhooks import WebhookRejectedError

__all__ = [
    "DEPLOYMENT_EVENTS",
    "PROJECT_EVENTS",
    "SIGNATURE_HEADER",
    "VercelDelivery",
    "read_delivery",
    "verify_signature",
]

SIGNATURE_HEADER = "x-vercel-signature"
DEPLOYMENT_EVENTS = frozenset(
    {
        "deployment.created",
        "deployment.succeeded",
        "deployment.ready",
        "deployment.error",
        "deployment.canceled",
        "deployment.promoted",
        "deployment.deleted",
    }
)
PROJECT_EVENTS = frozenset({"project.created", "project.removed"})


@dataclass(frozen=True)
class VercelDelivery:
    """What a delivery is about; ``removed`` when it reports a deletion."""

    id: str
    type: str
    team_id: str | None
    project_id: str | None
    deployment_id: str | None

    @property
    def removed(self) -> bool:
        return self.type in ("project.removed", "deployment.deleted")


def verify_signature(body: bytes, signature: str | None, secret: str) -> bool:
    """True when ``signature`` is the hex HMAC-SHA1 of the raw ``body`` under ``secret``
    (compared in constant time)."""
    if not signature or not secret:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())


def read_delivery(body: bytes) -> VercelDelivery:
    """Read a verified delivery; ``WebhookRejectedError`` when it is not one."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise WebhookRejectedError(f"webhook body is not JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise WebhookRejectedError("webhook body lacks a type")
    payload = data.get("payload")
    payload = payload if isinstance(payload, dict) else {}
    delivery_id = data.get("id")
    if not isinstance(delivery_id, str) or not delivery_id:
        raise WebhookRejectedError("webhook body lacks an id")
    return VercelDelivery(
        id=delivery_id,
        type=data["type"],
        team_id=_id(payload.get("team")),
        project_id=_id(payload.get("project")) or _string(payload.get("projectId")),
        deployment_id=_id(payload.get("deployment")),
    )


def _id(value: Any) -> str | None:
    return _string(value.get("id")) if isinstance(value, dict) else None


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
