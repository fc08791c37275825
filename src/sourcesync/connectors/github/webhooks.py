"""GitHub webhook deliveries: checking their signature and reading push events."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, ValidationError

SIGNATURE_HEADER = "X-Hub-Signature-256"
DELIVERY_HEADER = "X-GitHub-Delivery"
EVENT_HEADER = "X-GitHub-Event"
"""Names the event (``push``, ``ping``...); only ``push`` deliveries start syncs."""

_BRANCH_PREFIX = "refs/heads/"
_SIGNATURE_PREFIX = "sha256="


class WebhookPayloadError(ValueError):
    """The delivery's body is not the event it claims to be."""


def verify_signature(secret: str | bytes, body: bytes, signature_header: str | None) -> bool:
    """True when ``X-Hub-Signature-256`` is ``sha256=`` + HMAC-SHA256(secret, raw body).

    ``body`` must be the bytes as received, before any JSON parsing. The comparison takes
    the same time wherever the digests differ.
    """
    if not signature_header or not signature_header.startswith(_SIGNATURE_PREFIX):
        return False
    key = secret.encode() if isinstance(secret, str) else secret
    expected = _SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature_header.encode())


@dataclass(frozen=True)
class PushEvent:
    """What a sync needs from a ``push`` delivery.

    ``before`` is all zeros when the push created the ref; ``after`` when it deleted it.
    """

    ref: str
    before: str
    after: str
    repository: str
    delivery_id: str
    created: bool
    deleted: bool

    @property
    def branch(self) -> str | None:
        """The pushed branch's name, or None for a tag."""
        return (
            self.ref.removeprefix(_BRANCH_PREFIX) if self.ref.startswith(_BRANCH_PREFIX) else None
        )


class _Repository(BaseModel):
    model_config = ConfigDict(extra="ignore")
    full_name: str


class _PushPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")
    ref: str
    before: str
    after: str
    repository: _Repository
    created: bool = False
    deleted: bool = False


def parse_push_event(body: bytes, delivery_id: str) -> PushEvent:
    """Read a ``push`` delivery's raw body; ``delivery_id`` is its ``X-GitHub-Delivery``."""
    try:
        payload = _PushPayload.model_validate_json(body)
    except ValidationError as exc:
        raise WebhookPayloadError(f"not a GitHub push payload: {exc.errors()[0]['msg']}") from exc
    return PushEvent(
        ref=payload.ref,
        before=payload.before,
        after=payload.after,
        repository=payload.repository.full_name,
        delivery_id=delivery_id,
        created=payload.created,
        deleted=payload.deleted,
    )
