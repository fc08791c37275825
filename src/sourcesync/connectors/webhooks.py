"""What a source's webhook handler does for the core's ``POST /webhooks/{type}`` route.

The route reads the raw body, asks the handler to verify it against the secret of each
source of that type (before anything is parsed), parses it once, and asks what the
delivery means for each source whose secret signed it. Work never happens in the request:
a change becomes a debounced incremental sync, and removals a ``documents.removed`` event.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .errors import ConnectorError

__all__ = [
    "SourceChange",
    "WebhookHandler",
    "WebhookRejectedError",
    "WebhookReply",
    "WebhookRequest",
]


@dataclass(frozen=True)
class WebhookRequest:
    """A delivery as received: header names lower-cased, the body as raw bytes."""

    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class WebhookReply:
    """An answer that concerns no source (a ping, an ignored event kind, a challenge)."""

    status: int
    body: Mapping[str, Any]


@dataclass(frozen=True)
class SourceChange:
    """What one delivery asks of one source.

    ``delivery_id`` identifies the delivery, so a retried delivery changes nothing twice;
    ``removed_ids`` name documents (the connector's names) to delete at once; ``sync``
    asks for a debounced incremental sync; ``before``/``after`` are commits, when known.
    """

    delivery_id: str
    sync: bool = True
    removed_ids: tuple[str, ...] = field(default=())
    before: str | None = None
    after: str | None = None


class WebhookRejectedError(ConnectorError):
    """The delivery is refused; ``status`` is the HTTP status to answer (400 by default)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


ConfigT = TypeVar("ConfigT")
DeliveryT = TypeVar("DeliveryT")


class WebhookHandler(ABC, Generic[ConfigT, DeliveryT]):
    """One source type's webhooks: signature scheme, payload, and what it means."""

    def secret(self, config: ConfigT) -> str | None:
        """The webhook secret of one source: the variable its ``webhook_secret_env`` names."""
        name = getattr(config, "webhook_secret_env", None)
        return os.environ.get(name) or None if name else None

    def handshake(self, request: WebhookRequest) -> WebhookReply | None:
        """An answer owed before any signature can be checked (a URL verification);
        None for an ordinary delivery."""
        del request
        return None

    @abstractmethod
    def verify(self, request: WebhookRequest, secret: str) -> bool:
        """True when ``secret`` signed this delivery (compared in constant time)."""

    @abstractmethod
    def parse(self, request: WebhookRequest) -> DeliveryT | WebhookReply:
        """Read a verified delivery once; raise ``WebhookRejectedError`` when it is
        malformed or stale, or answer at once with a ``WebhookReply``."""

    @abstractmethod
    def change_for(self, delivery: DeliveryT, config: ConfigT) -> SourceChange | None:
        """What ``delivery`` asks of the source configured by ``config``; None if nothing."""
