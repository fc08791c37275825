"""Chunk, embed and store documents: the expensive part, batched for the embedder."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sourcesync import db
from sourcesync.documents import Chunk, chunk_text, strategy_for_path
from sourcesync.stores import ChunkRecord

from .services import Services

log = logging.getLogger("sourcesync.workflows")


@dataclass
class EmbedResult:
    processed: int = 0
    failed: int = 0
    embeddings: int = 0


@dataclass
class _Prepared:
    document: db.Document
    source_type: str
    chunks: list[Chunk]


def _prepare(
    services: Services, job_id: str, workspace_id: str, document_ids: list[str]
) -> tuple[list[_Prepared], int]:
    """Load and chunk documents; record failures; returns (ready documents, failures)."""
    embedder = services.embedder
    ready: list[_Prepared] = []
    failed = 0
    with services.reading() as session:
        documents = [
            d
            for d in db.get_documents(session, workspace_id, document_ids)
            if d.status != db.DocumentStatus.DELETED
        ]
        contents = db.get_document_contents(session, workspace_id, [d.id for d in documents])
        source_types = {s.id: str(s.type) for s in db.list_sources(session, workspace_id)}
    failures: list[tuple[str, str]] = []
    for document in documents:
        text = contents.get(document.id)
        if text is None:
            failures.append((document.id, "its content is missing from the content store"))
            continue
        try:
            chunks = chunk_text(
                text,
                document_id=document.id,
                counter=embedder,
                max_tokens=embedder.max_tokens,
                strategy=strategy_for_path(document.path),
            )
        except Exception as exc:
            failures.append((document.id, f"chunking failed: {exc}"))
            continue
        ready.append(_Prepared(document, source_types.get(document.source_id, "git"), chunks))
    if failures:
        with services.transaction() as session:
            for doc_id, message in failures:
                db.record_document_failure(
                    session,
                    job_id=job_id,
                    workspace_id=workspace_id,
                    document_id=doc_id,
                    stage=db.FailureStage.CHUNK,
                    message=message,
                )
        failed = len(failures)
    return ready, failed


async def embed_documents(
    services: Services, *, job_id: str, workspace_id: str, namespace: str, document_ids: list[str]
) -> EmbedResult:
    """Embed every listed document; one that fails is recorded and the others go on.

    All chunks go to the embedder in one call and to the store in one write; only when
    the batch call fails are documents embedded one by one, to find the one at fault.
    """
    await services.in_thread(_check_job_active, services, job_id)
    ready, failed = await services.in_thread(_prepare, services, job_id, workspace_id, document_ids)
    result = EmbedResult(failed=failed)
    vectors_by_document = await _embed_all(services, job_id, workspace_id, ready, result)
    embedded = [item for item in ready if item.document.id in vectors_by_document]
    await services.in_thread(_check_job_active, services, job_id)
    records = {
        item.document.id: [
            _record(item, chunk, vector)
            for chunk, vector in zip(
                item.chunks, vectors_by_document[item.document.id], strict=True
            )
        ]
        for item in embedded
    }
    try:
        await _store(services, namespace, workspace_id, embedded, records)
    except Exception as exc:
        for item in embedded:
            await services.in_thread(
                _record_failure,
                services,
                job_id,
                workspace_id,
                item.document.id,
                db.FailureStage.UPSERT,
                str(exc),
            )
        result.failed += len(embedded)
        return result
    await services.in_thread(_mark_processed, services, job_id, workspace_id, embedded)
    result.processed += len(embedded)
    result.embeddings += sum(len(item.chunks) for item in embedded)
    return result


async def _store(
    services: Services,
    namespace: str,
    workspace_id: str,
    embedded: list[_Prepared],
    records: dict[str, list[ChunkRecord]],
) -> None:
    """Write the vectors; only documents that had chunks before need their old ones removed.

    A first sync writes new documents only, and a plain upsert by chunk id (idempotent, so
    a retried batch never duplicates) is far cheaper than a replace that scans the table.
    """
    fresh = {i.document.id for i in embedded if not i.document.chunk_count}
    if fresh:
        await services.vectors.upsert(namespace, [r for doc_id in fresh for r in records[doc_id]])
    changed = {doc_id: chunks for doc_id, chunks in records.items() if doc_id not in fresh}
    if changed:
        await services.vectors.replace_documents_chunks(namespace, workspace_id, changed)


async def _embed_all(
    services: Services,
    job_id: str,
    workspace_id: str,
    ready: list[_Prepared],
    result: EmbedResult,
) -> dict[str, list[list[float]]]:
    texts = [chunk.text for item in ready for chunk in item.chunks]
    if texts:
        try:
            vectors = await services.embedder.embed(texts)
        except Exception as exc:
            log.warning("embedding a batch failed; embedding document by document", exc_info=exc)
        else:
            by_document: dict[str, list[list[float]]] = {}
            offset = 0
            for item in ready:
                by_document[item.document.id] = vectors[offset : offset + len(item.chunks)]
                offset += len(item.chunks)
            return by_document
    by_document = {}
    for item in ready:
        try:
            own = [c.text for c in item.chunks]
            by_document[item.document.id] = await services.embedder.embed(own) if own else []
        except Exception as exc:
            result.failed += 1
            await services.in_thread(
                _record_failure,
                services,
                job_id,
                workspace_id,
                item.document.id,
                db.FailureStage.EMBED,
                str(exc),
            )
    return by_document


def _record(item: _Prepared, chunk: Chunk, vector: list[float]) -> ChunkRecord:
    document = item.document
    return ChunkRecord(
        id=chunk.id,
        document_id=document.id,
        workspace_id=document.workspace_id,
        source_id=document.source_id,
        source_type=item.source_type,
        title=document.title,
        url=document.url,
        path=document.path,
        text=chunk.text,
        vector=vector,
        metadata={
            "heading_path": list(chunk.heading_path),
            "start_line": chunk.start_line,
            "end_line": chunk.end_line,
            **{
                k: v
                for k, v in (document.meta or {}).items()
                if k in ("commit", "language", "branch")
            },
        },
    )


def _check_job_active(services: Services, job_id: str) -> None:
    """Embedding takes time: a job cancelled meanwhile writes no vectors."""
    with services.reading() as session:
        db.require_job_active(session, job_id)


def _mark_processed(
    services: Services, job_id: str, workspace_id: str, items: list[_Prepared]
) -> None:
    with services.transaction() as session:
        db.require_job_active(session, job_id)
        db.mark_documents_processed(
            session,
            workspace_id,
            [(i.document.id, i.document.content_hash or "", len(i.chunks)) for i in items],
        )


def _record_failure(
    services: Services,
    job_id: str,
    workspace_id: str,
    document_id: str,
    stage: db.FailureStage,
    message: str,
) -> None:
    with services.transaction() as session:
        db.record_document_failure(
            session,
            job_id=job_id,
            workspace_id=workspace_id,
            document_id=document_id,
            stage=stage,
            message=message[:2000],
        )
