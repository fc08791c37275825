"""The sync workflows: inngest-py functions laid out as the flow in DESIGN section 1.

They run unchanged on the embedded engine and on Inngest.
"""

from __future__ import annotations

from typing import Any

import inngest

from . import (
    docs_batch_coordinator,
    documents_process,
    documents_removed,
    file_source_sync,
    files_batch_processor,
    linear_sync,
    source_changed,
    source_connected,
    store_ensure,
    sync_cancelled,
    sync_orchestrator,
)
from .services import Services

APP_ID = "sourcesync"


def create_functions(client: inngest.Inngest, services: Services) -> list[inngest.Function[Any]]:
    """Every workflow function, wired to ``services``."""
    ensure = store_ensure.create(client, services)
    process = documents_process.create(client, services)
    coordinator = docs_batch_coordinator.create(client, services, process)
    batches = files_batch_processor.create(client, services)
    routes = {
        "git": file_source_sync.create(client, services, "git"),
        "github": file_source_sync.create(client, services, "github"),
        "linear": linear_sync.create(client, services),
    }
    orchestrator = sync_orchestrator.create(client, services, ensure, routes)
    return [
        orchestrator,
        ensure,
        *routes.values(),
        batches,
        coordinator,
        process,
        source_connected.create(client, services),
        source_changed.create(client, services),
        documents_removed.create(client, services),
        sync_cancelled.create(client, services),
    ]


__all__ = ["APP_ID", "Services", "create_functions"]
