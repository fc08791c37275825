"""Per-document failures of a job: rows the CLI, API and dashboard show."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sourcesync.db.column_types import utcnow
from sourcesync.db.models import Document, DocumentFailure, DocumentStatus, FailureStage
from sourcesync.db.upserts import upsert_into


def record_document_failure(
    session: Session,
    *,
    job_id: str,
    workspace_id: str,
    document_id: str,
    stage: FailureStage,
    message: str,
) -> None:
    """Record that a document failed at ``stage`` and mark the document failed.

    One row per (job, document, stage): a retry that fails again replaces the message.
    The document may not exist yet (a fetch can fail before it is written).
    """
    now = utcnow()
    insert = upsert_into(session, DocumentFailure).values(
        job_id=job_id,
        workspace_id=workspace_id,
        document_id=document_id,
        stage=stage,
        message=message,
        created_at=now,
    )
    session.execute(
        insert.on_conflict_do_update(
            index_elements=[
                DocumentFailure.job_id,
                DocumentFailure.document_id,
                DocumentFailure.stage,
            ],
            set_={"message": insert.excluded.message, "created_at": insert.excluded.created_at},
        )
    )
    session.execute(
        update(Document)
        .where(Document.workspace_id == workspace_id, Document.id == document_id)
        .values(status=DocumentStatus.FAILED, updated_at=now)
    )


def list_failures(session: Session, job_id: str) -> list[DocumentFailure]:
    """The job's document failures, by document id then stage."""
    return list(
        session.scalars(
            select(DocumentFailure)
            .where(DocumentFailure.job_id == job_id)
            .order_by(DocumentFailure.document_id, DocumentFailure.stage)
        )
    )
