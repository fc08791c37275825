"""store-ensure: create a workspace's vector store before anything is written to it."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import inngest
from sqlalchemy import update

from sourcesync import db
from sourcesync.db.models import Document, Source
from sourcesync.events import StoreEnsure, StoreEnsured
from sourcesync.stores.namespaces import namespace_for

from .services import Services
from .validation import parse_event

__all__ = ["create", "namespace_for"]

log = logging.getLogger("sourcesync.workflows")


def _forget_embeddings(services: Services, workspace_id: str) -> None:
    """Make every document of the workspace due for embedding again (a new model's store),
    and each source's next sync full, this one included (its plan reads the cursor).

    An incremental sync would embed only what changed, leaving the new store partial; and
    searches use the new store once it holds anything (before that, the previous model's:
    `sourcesync.search.workspace_search`).
    """
    with services.transaction() as session:
        session.execute(
            update(Document).where(Document.workspace_id == workspace_id).values(embedded_hash=None)
        )
        session.execute(
            update(Source).where(Source.workspace_id == workspace_id).values(cursor=None)
        )


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

            backend = services.settings.vector_backend

            def workspace_stores() -> dict[tuple[str, str], int]:
                with services.reading() as session:
                    return {
                        (store.backend, store.namespace): store.dimension
                        for store in db.list_stores(session, request.workspace_id)
                    }

            stores = await services.in_thread(workspace_stores)
            # A store made before already says its dimension: asking the model would load it
            # (seconds on a CPU) even for a sync that ends up embedding nothing. A store of
            # another model, or on another backend (moved to Pinecone), means re-embedding.
            known = stores.get((backend, namespace))
            dimension: int = (
                known if known is not None else await services.in_thread(lambda: embedder.dimension)
            )

            def record() -> None:
                with services.transaction() as session:
                    db.ensure_store(
                        session,
                        request.workspace_id,
                        backend=backend,
                        namespace=namespace,
                        embedding_model=embedder.model_name,
                        dimension=dimension,
                    )

            await services.in_thread(record)
            if known is None and stores:
                await services.in_thread(_forget_embeddings, services, request.workspace_id)
                log.warning(
                    "a new embedding model or vector store: this sync and the next one of "
                    "each other source are full, and re-embed every document",
                    extra={"model": embedder.model_name, "previous": sorted(map(str, stores))},
                )
            await services.vectors.ensure(namespace, dimension)
            await _purge_retired_vectors(services, request.workspace_id)
            ensured = StoreEnsured(
                namespace=namespace, dimension=dimension, model=embedder.model_name
            )
            return ensured.to_data()

        return await ctx.step.run("ensure-store", ensure)

    return store_ensure
