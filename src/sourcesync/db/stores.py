"""Stores: the vector store namespaces a workspace writes to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sourcesync.db.column_types import utcnow
from sourcesync.db.errors import StoreMismatchError
from sourcesync.db.ids import new_id
from sourcesync.db.models import Store
from sourcesync.db.upserts import upsert_into


def ensure_store(
    session: Session,
    workspace_id: str,
    *,
    backend: str,
    namespace: str,
    embedding_model: str,
    dimension: int,
) -> Store:
    """Return the store for ``(backend, namespace)``, creating it if missing.

    Raises ``StoreMismatchError`` when the namespace already holds vectors of another
    model or dimension: mixing them would make every search wrong.
    """
    session.execute(
        upsert_into(session, Store)
        .values(
            id=new_id("store"),
            workspace_id=workspace_id,
            backend=backend,
            namespace=namespace,
            embedding_model=embedding_model,
            dimension=dimension,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing()
    )
    store = session.execute(
        select(Store).where(
            Store.workspace_id == workspace_id,
            Store.backend == backend,
            Store.namespace == namespace,
        )
    ).scalar_one()
    if (store.embedding_model, store.dimension) != (embedding_model, dimension):
        raise StoreMismatchError(
            namespace,
            existing=f"{store.embedding_model} ({store.dimension}-d)",
            requested=f"{embedding_model} ({dimension}-d)",
        )
    return store


def list_stores(session: Session, workspace_id: str) -> list[Store]:
    return list(
        session.scalars(
            select(Store).where(Store.workspace_id == workspace_id).order_by(Store.created_at)
        )
    )
