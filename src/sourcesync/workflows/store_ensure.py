"""store-ensure: create a workspace's vector store before anything is written to it."""

from __future__ import annotations

import contextlib
import re
from typing import Any

import inngest

from sourcesync import db
from sourcesync.events import StoreEnsure, StoreEnsured

from .services import Services
from .validation import parse_event


def namespace_for(workspace_id: str, model_name: str) -> str:
    """One namespace per workspace and embedding model: vectors of two models never mix."""
    model = re.sub(r"[^a-z0-9]+", "-", model_name.lower()).strip("-")
    return f"{workspace_id}-{model}"


RETIRED_IDS_PER_DELETE = 500


async def _purge_retired_vectors(services: Services, workspace_id: str) -> None:
    """Delete vectors stored under document ids that migration 0002 retired, in every
    namespace of the workspace (once; afterwards this is one empty query)."""

    def take() -> tuple[list[str], list[str]]:
        with services.reading() as session:
            ids = db.take_retired_document_ids(session, workspace_id, RETIRED_IDS_PER_DELETE)
            stores = db.list_stores(session, workspace_id) if ids else []
        return ids, [store.namespace for store in stores]

    def forget(ids: list[str]) -> None:
        with services.transaction() as session:
            db.forget_retired_document_ids(session, workspace_id, ids)

    while True:
        ids, namespaces = await services.in_thread(take)
        if not ids:
            return
        for namespace in namespaces:
            with contextlib.suppress(LookupError):
                await services.vectors.delete_documents(namespace, workspace_id, ids)
        await services.in_thread(forget, ids)


def create(client: inngest.Inngest, services: Services) -> inngest.Function[Any]:
    @client.create_function(
        fn_id="store-ensure",
        name="Ensure vector store",
        trigger=inngest.TriggerEvent(event=StoreEnsure.name),
        retries=3,
    )
    async def store_ensure(ctx: inngest.Context) -> dict[str, Any]:
        request = parse_event(StoreEnsure, ctx.event.data)

        async def ensure() -> dict[str, Any]:
            embedder = services.embedder
            namespace = namespace_for(request.workspace_id, embedder.model_name)

            def known_dimension() -> int | None:
                with services.reading() as session:
                    for store in db.list_stores(session, request.workspace_id):
                        if store.namespace == namespace:
                            return store.dimension
                return None

            # A store made before already says its dimension: asking the model would load it
            # (seconds on a CPU) even for a sync that ends up embedding nothing.
            known = await services.in_thread(known_dimension)
            dimension: int = (
                known if known is not None else await services.in_thread(lambda: embedder.dimension)
            )

            def record() -> None:
                with services.transaction() as session:
                    db.ensure_store(
                        session,
                        request.workspace_id,
                        backend="lancedb",
                        namespace=namespace,
                        embedding_model=embedder.model_name,
                        dimension=dimension,
                    )

            await services.in_thread(record)
            await services.vectors.ensure(namespace, dimension)
            await _purge_retired_vectors(services, request.workspace_id)
            ensured = StoreEnsured(
                namespace=namespace, dimension=dimension, model=embedder.model_name
            )
            return ensured.to_data()

        return await ctx.step.run("ensure-store", ensure)

    return store_ensure
