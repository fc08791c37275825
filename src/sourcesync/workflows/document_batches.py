"""Chunk, embed and store documents: the expensive part, batched for the embedder.

Each chunk is embedded under a contextual header (its document's path and title) and
indexed with code-aware keywords (`sourcesync.search.indexing`). A chunk text whose vector
the namespace already holds (the same file moved, or the same text in another source) is
not embedded again: the store keeps an embedding cache by the hash of the chunk's text.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from sourcesync import db
from sourcesync.documents import Chunk, chunk_text, strategy_for_path
from sourcesync.search.indexing import (
    HEADER_TOKENS,
    IndexedText,
    contextual_header,
    indexed_text,
)
from sourcesync.stores import ChunkRecord

from .services import Services
from .stalls import EMBEDDER, waiting_on

log = logging.getLogger("sourcesync.workflows")

EMBED_SLICE = 16
"""Chunk texts per embedder call. Concurrent calls share one encode (``encode_queue``), so
small calls cost little, and the job's progress moves after each (well under 2 s on CPU)."""
PROGRESS_EVERY_S = 0.5
"""While a batch embeds, it writes its chunk progress to the job row at most this often;
what is left goes in the transaction that marks its documents processed."""


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
    indexed: list[IndexedText]


def _prepare(
    services: Services, job_id: str, workspace_id: str, document_ids: list[str]
) -> tuple[list[_Prepared], int]:
    """Load and chunk documents of an active job; record failures; returns (ready
    documents, failures)."""
    embedder = services.embedder
    ready: list[_Prepared] = []
    failed = 0
    with services.reading() as session:
        db.require_job_active(session, job_id)
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
        header = contextual_header(title=document.title, path=document.path, tokenizer=embedder)
        try:
            chunks = chunk_text(
                text,
                document_id=document.id,
                counter=embedder,
                # The header is embedded with every chunk, so it takes its share of the window.
                max_tokens=embedder.max_tokens - HEADER_TOKENS,
                strategy=strategy_for_path(document.path),
            )
        except Exception as exc:
            failures.append((document.id, f"chunking failed: {exc}"))
            continue
        indexed = [indexed_text(header, chunk.heading_path, chunk.text) for chunk in chunks]
        source_type = source_types.get(document.source_id, "git")
        ready.append(_Prepared(document, source_type, chunks, indexed))
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
    ready, failed = await services.in_thread(_prepare, services, job_id, workspace_id, document_ids)
    result = EmbedResult(failed=failed)
    progress = _ChunkProgress(services, job_id)
    progress.found(sum(len(item.chunks) for item in ready))
    vectors_by_document = await _embed_all(
        services, job_id, workspace_id, namespace, ready, result, progress
    )
    embedded = [item for item in ready if item.document.id in vectors_by_document]
    await services.in_thread(_check_job_active, services, job_id)
    records = {
        item.document.id: [
            _record(item, chunk, indexed, vector)
            for chunk, indexed, vector in zip(
                item.chunks, item.indexed, vectors_by_document[item.document.id], strict=True
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
        await progress.flush()
        return result
    await services.in_thread(
        _mark_processed, services, job_id, workspace_id, embedded, progress.take()
    )
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
    Both trust the database's chunk counts: the ids of a document's chunks in the store are
    `#0` to its count.
    """
    fresh = {i.document.id for i in embedded if not i.document.chunk_count}
    if fresh:
        await services.vectors.upsert(namespace, [r for doc_id in fresh for r in records[doc_id]])
    changed = {doc_id: chunks for doc_id, chunks in records.items() if doc_id not in fresh}
    if changed:
        counts = {
            i.document.id: i.document.chunk_count for i in embedded if i.document.id in changed
        }
        await services.vectors.replace_documents_chunks(
            namespace, workspace_id, changed, chunk_counts=counts
        )


class _ChunkProgress:
    """A batch's chunk counts (found, embedded) not yet on its job's row.

    While the batch embeds they are written at most every ``PROGRESS_EVERY_S`` (so the
    first time once a slice ends that far into the batch); the rest goes with the batch's
    documents (``take``). A batch done sooner (cached texts, a fast embedder) adds no write
    transaction of its own: with ten batches at a time, SQLite's one writer is the limit.
    """

    def __init__(self, services: Services, job_id: str) -> None:
        self.services = services
        self.job_id = job_id
        self.total = 0
        self.embedded = 0
        self.saved_at = time.monotonic()

    def found(self, count: int) -> None:
        self.total += count

    async def embedded_some(self, count: int) -> None:
        self.embedded += count
        if time.monotonic() - self.saved_at >= PROGRESS_EVERY_S:
            await self.flush()

    async def flush(self) -> None:
        counts = self.take()
        if any(counts):
            self.saved_at = time.monotonic()
            await self.services.in_thread(self._add, *counts)

    def take(self) -> tuple[int, int]:
        """The counts not yet written, as (found, embedded); they are the caller's now."""
        counts = (self.total, self.embedded)
        self.total = self.embedded = 0
        return counts

    def _add(self, total: int, embedded: int) -> None:
        with self.services.transaction() as session:
            db.add_chunk_progress(session, self.job_id, total=total, embedded=embedded)


async def _embed_all(
    services: Services,
    job_id: str,
    workspace_id: str,
    namespace: str,
    ready: list[_Prepared],
    result: EmbedResult,
    progress: _ChunkProgress,
) -> dict[str, list[list[float]]]:
    """Vectors of every chunk by document; texts the namespace already holds are reused."""
    texts = {indexed.hash: indexed.embedded for item in ready for indexed in item.indexed}
    # Same text in two documents of this batch: embedded once, under the first one's header.
    known = await services.vectors.cached_vectors(namespace, texts)
    missing = {text_hash: text for text_hash, text in texts.items() if text_hash not in known}
    if known:
        log.info("reusing %d stored vectors of unchanged chunk texts", len(known))
    chunk_count = sum(len(item.indexed) for item in ready)
    await progress.embedded_some(chunk_count - len(missing))
    if missing:
        # By length, so that each call pads little (as one large call would).
        order = sorted(missing, key=lambda text_hash: len(missing[text_hash]))
        fresh: list[list[float]] = []
        for start in range(0, len(order), EMBED_SLICE):
            part = order[start : start + EMBED_SLICE]
            try:
                fresh += await _embed(services, job_id, [missing[h] for h in part])
            except Exception as exc:
                log.warning(
                    "embedding a batch failed; embedding document by document", exc_info=exc
                )
                return await _embed_one_by_one(
                    services, job_id, workspace_id, namespace, ready, known, result
                )
            # Outside the `try`: a progress write that fails is the call's failure (retried),
            # not the embedder's, which would embed the batch again document by document.
            await progress.embedded_some(len(part))
        embedded = dict(zip(order, fresh, strict=True))
        await services.vectors.cache_vectors(namespace, embedded)
        known |= embedded
    return {item.document.id: [known[indexed.hash] for indexed in item.indexed] for item in ready}


async def _embed(services: Services, job_id: str, texts: list[str]) -> list[list[float]]:
    """One embedder call, timed; a call unanswered too long shows on the job as a stall.

    The note is per call, not per batch: a slow but working embedder (ten batches
    sharing two cores) answers each call of ``EMBED_SLICE`` texts in seconds.
    """
    async with waiting_on(services, job_id, EMBEDDER):
        with services.metrics.embed_seconds.time():
            return await services.embedder.embed(texts)


async def _embed_one_by_one(
    services: Services,
    job_id: str,
    workspace_id: str,
    namespace: str,
    ready: list[_Prepared],
    known: dict[str, list[float]],
    result: EmbedResult,
) -> dict[str, list[list[float]]]:
    """Embed each document alone, to find the one the batch failed on and keep the others."""
    by_document: dict[str, list[list[float]]] = {}
    for item in ready:
        missing = {i.hash: i.embedded for i in item.indexed if i.hash not in known}
        try:
            fresh = await _embed(services, job_id, list(missing.values())) if missing else []
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
            continue
        embedded = dict(zip(missing, fresh, strict=True))
        await services.vectors.cache_vectors(namespace, embedded)
        own = known | embedded
        by_document[item.document.id] = [own[indexed.hash] for indexed in item.indexed]
    return by_document


def _record(
    item: _Prepared, chunk: Chunk, indexed: IndexedText, vector: list[float]
) -> ChunkRecord:
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
        keywords=indexed.keywords,
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
    services: Services,
    job_id: str,
    workspace_id: str,
    items: list[_Prepared],
    progress: tuple[int, int],
) -> None:
    """Mark the documents processed, with the chunk progress (found, embedded) not yet on
    the job's row."""
    with services.transaction() as session:
        db.require_job_active(session, job_id)
        db.mark_documents_processed(
            session,
            workspace_id,
            [(i.document.id, i.document.content_hash or "", len(i.chunks)) for i in items],
        )
        total, embedded = progress
        if total or embedded:
            db.add_chunk_progress(session, job_id, total=total, embedded=embedded)


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
