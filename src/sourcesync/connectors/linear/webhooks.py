"""Linear webhook deliveries: verification and what each one asks the sync to do.

Linear signs the raw request body with HMAC-SHA256 under the webhook's secret and sends the
hex digest in `Linear-Signature`; the body's `webhookTimestamp` (epoch milliseconds) dates
the delivery, and one more than a minute off is refused, so a captured delivery cannot be
replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast, get_args

from .errors import WebhookRejectedError
from .ids import linear_issue_id, linear_project_id

__all__ = [
    "SIGNATURE_HEADER",
    "LinearWebhookEvent",
    "WebhookAction",
    "parse_webhook",
    "read_webhook",
    "verify_signature",
]

SIGNATURE_HEADER = "Linear-Signature"
DEFAULT_TOLERANCE = timedelta(seconds=60)

WebhookAction = Literal["create", "update", "remove"]


@dataclass(frozen=True, kw_only=True)
class LinearWebhookEvent:
    """One verified delivery and its consequences for the documents.

    `issue_ids` and `project_ids` are Linear ids to fetch again (`LinearSource.fetch`);
    `deleted_ids` are document ids to delete. Types other than Issue, Comment and Project
    (labels, cycles, reactions...) ask for nothing.
    """

    action: WebhookAction
    type: str
    entity_id: str
    delivered_at: datetime
    issue_ids: tuple[str, ...] = ()
    project_ids: tuple[str, ...] = ()
    deleted_ids: tuple[str, ...] = ()


def verify_signature(body: bytes, signature: str | None, secret: str) -> None:
    """Raise `WebhookRejectedError` unless `signature` is the HMAC-SHA256 of `body`."""
    if not secret:
        raise WebhookRejectedError("no webhook secret configured: cannot verify deliveries")
    if not signature:
        raise WebhookRejectedError(f"missing {SIGNATURE_HEADER} header")
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise WebhookRejectedError(f"{SIGNATURE_HEADER} does not match the body")


def parse_webhook(
    body: bytes,
    signature: str | None,
    secret: str,
    *,
    now: datetime | None = None,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> LinearWebhookEvent:
    """Verify a delivery (signature, then age) and read what it changed.

    `body` must be the raw request body: re-serialized JSON would not match the signature.
    """
    verify_signature(body, signature, secret)
    return read_webhook(body, now=now, tolerance=tolerance)


def read_webhook(
    body: bytes, *, now: datetime | None = None, tolerance: timedelta = DEFAULT_TOLERANCE
) -> LinearWebhookEvent:
    """Read a delivery whose signature was checked: refuse it when stale, say what changed."""
    try:
        payload = json.loads(body)
    except ValueError as error:
        raise WebhookRejectedError(f"webhook body is not JSON: {error}") from error
    if not isinstance(payload, dict):
        raise WebhookRejectedError("webhook body is not a JSON object")
    delivered_at = _delivered_at(payload)
    moment = now or datetime.now(UTC)
    if abs(moment - delivered_at) > tolerance:
        raise WebhookRejectedError(
            f"webhookTimestamp {delivered_at.isoformat()} is more than "
            f"{tolerance.total_seconds():g} s from now: refusing a stale or replayed delivery"
        )
    action = payload.get("action")
    if action not in get_args(WebhookAction):
        raise WebhookRejectedError(f"unknown webhook action {action!r}")
    kind = payload.get("type")
    data = payload.get("data")
    if not isinstance(kind, str) or not isinstance(data, dict) or not data.get("id"):
        raise WebhookRejectedError("webhook body lacks type, data or data.id")
    return _event(cast(WebhookAction, action), kind, data, payload.get("updatedFrom"), delivered_at)


def _delivered_at(payload: dict[str, Any]) -> datetime:
    stamp = payload.get("webhookTimestamp")
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        raise WebhookRejectedError("webhook body lacks a numeric webhookTimestamp")
    try:
        return datetime.fromtimestamp(stamp / 1000, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise WebhookRejectedError(f"webhookTimestamp {stamp!r} is not a time") from exc


def _event(
    action: WebhookAction,
    kind: str,
    data: dict[str, Any],
    updated_from: object,
    delivered_at: datetime,
) -> LinearWebhookEvent:
    entity_id = str(data["id"])
    gone = action == "remove" or bool(data.get("archivedAt") or data.get("trashed"))
    issue_ids: tuple[str, ...] = ()
    project_ids: tuple[str, ...] = ()
    deleted_ids: tuple[str, ...] = ()
    if kind == "Issue":
        # A project's document lists its issues, so the projects the issue left or joined
        # change with it.
        previous = updated_from if isinstance(updated_from, dict) else {}
        project_ids = tuple(
            dict.fromkeys(p for p in (data.get("projectId"), previous.get("projectId")) if p)
        )
        if gone:
            deleted_ids = (linear_issue_id(entity_id),)
        else:
            issue_ids = (entity_id,)
    elif kind == "Comment" and data.get("issueId"):
        issue_ids = (str(data["issueId"]),)
    elif kind == "Project":
        if gone:
            deleted_ids = (linear_project_id(entity_id),)
        else:
            project_ids = (entity_id,)
    return LinearWebhookEvent(
        action=action,
        type=kind,
        entity_id=entity_id,
        delivered_at=delivered_at,
        issue_ids=issue_ids,
        project_ids=project_ids,
        deleted_ids=deleted_ids,
    )
