"""Every workflow function of the app, wired to the services: the list an app serves.

Importing it loads every function module and the inngest SDK; commands that only read the
database (``jobs``, ``sources list``) import the package without it.
"""

from __future__ import annotations

from typing import Any

import inngest

from sourcesync.connectors.registry import all_specs
from sourcesync.connectors.spec import SourceKind

from . import (
    docs_batch_coordinator,
    document_source_sync,
    documents_process,
    documents_removed,
    file_source_sync,
    files_batch_processor,
    files_batch_timed_out,
    source_changed,
    source_connected,
    sources_scheduler,
    store_ensure,
    sync_cancelled,
    sync_orchestrator,
)
from .services import Services


def create_functions(client: inngest.Inngest, services: Services) -> list[inngest.Function[Any]]:
    """Every workflow function, wired to ``services``: one ``{type}-sync`` per registered
    source type (the file or the document workflow, by the source's kind)."""
    ensure = store_ensure.create(client, services)
    process = documents_process.create(client, services)
    coordinator = docs_batch_coordinator.create(client, services, process)
    batches = files_batch_processor.create(client, services)
    workflow_of_kind = {
        SourceKind.FILES: file_source_sync.create,
        SourceKind.DOCUMENTS: document_source_sync.create,
    }
    routes = {
        spec.type: workflow_of_kind[spec.kind](client, services, spec.type)
        for spec in all_specs().values()
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
        sources_scheduler.create(client, services),
        documents_removed.create(client, services),
        sync_cancelled.create(client, services),
        files_batch_timed_out.create(client, services),
    ]
