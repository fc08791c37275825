from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from sourcesync.db import (
    Document,
    DocumentStatus,
    DocumentUpsert,
    FailureStage,
    Job,
    Source,
    add_source,
    document_statuses,
    ensure_workspace,
    get_document_content,
    get_documents,
    list_document_ids,
    list_failures,
    mark_documents_deleted,
    mark_documents_processed,
    put_document_content,
    record_document_failure,
    upsert_documents,
)

README = "github:file:acme/docs:README.md"
GUIDE = "github:file:acme/docs:docs/guide.md"


def _file(
    source: Source,
    document_id: str,
    content_hash: str,
    *,
    content: str | None = None,
    size: int | None = None,
    metadata: dict[str, Any] | None = None,
) -> DocumentUpsert:
    path = document_id.rsplit(":", 1)[1]
    return DocumentUpsert(
        id=document_id,
        source_id=source.id,
        title=path,
        url=f"https://github.com/acme/docs/blob/main/{path}",
        path=path,
        content_hash=content_hash,
        metadata=metadata or {},
        size=size,
        content=content,
    )


def _one(sessions: sessionmaker[Session], workspace_id: str, document_id: str) -> Document:
    with sessions() as session:
        [document] = get_documents(session, workspace_id, [document_id])
    return document


def test_documents_and_their_content_are_stored(
    sessions: sessionmaker[Session], source: Source
) -> None:
    workspace = source.workspace_id
    with sessions.begin() as session:
        upsert_documents(
            session,
            workspace,
            [
                _file(source, README, "h1", content="# Acme", size=6, metadata={"sha": "abc"}),
                _file(source, GUIDE, "h2"),
            ],
        )
    with sessions() as session:
        documents = get_documents(session, workspace, [GUIDE, "github:file:acme/docs:nope", README])
        assert [d.id for d in documents] == [GUIDE, README]
        readme = documents[1]
        assert (readme.status, readme.content_hash, readme.embedded_hash) == (
            DocumentStatus.PENDING,
            "h1",
            None,
        )
        assert (readme.title, readme.path, readme.size, readme.meta) == (
            "README.md",
            "README.md",
            6,
            {"sha": "abc"},
        )
        assert readme.url == "https://github.com/acme/docs/blob/main/README.md"
        assert get_document_content(session, workspace, README) == "# Acme"
        assert get_document_content(session, workspace, GUIDE) is None

    with sessions.begin() as session:
        put_document_content(session, workspace, GUIDE, "guide v1")
        put_document_content(session, workspace, GUIDE, "guide v2")
    with sessions() as session:
        assert get_document_content(session, workspace, GUIDE) == "guide v2"


def test_only_changed_content_needs_embedding_again(
    sessions: sessionmaker[Session], source: Source
) -> None:
    workspace = source.workspace_id
    with sessions.begin() as session:
        upsert_documents(session, workspace, [_file(source, README, "h1", content="v1")])
        mark_documents_processed(session, workspace, [(README, "h1", 3)])
    processed = _one(sessions, workspace, README)
    assert (processed.status, processed.embedded_hash, processed.chunk_count) == (
        DocumentStatus.PROCESSED,
        "h1",
        3,
    )

    with sessions.begin() as session:
        upsert_documents(session, workspace, [_file(source, README, "h1", metadata={"n": 2})])
    unchanged = _one(sessions, workspace, README)
    assert (unchanged.status, unchanged.meta) == (DocumentStatus.PROCESSED, {"n": 2})
    assert unchanged.created_at == processed.created_at

    with sessions.begin() as session:
        upsert_documents(session, workspace, [_file(source, README, "h2", content="v2")])
    changed = _one(sessions, workspace, README)
    assert (changed.status, changed.content_hash, changed.embedded_hash) == (
        DocumentStatus.PENDING,
        "h2",
        "h1",
    )
    with sessions() as session:
        assert get_document_content(session, workspace, README) == "v2"
        assert document_statuses(session, workspace, [README, "unknown"]) == {
            README: DocumentStatus.PENDING
        }


def test_the_last_duplicate_in_one_upsert_wins(
    sessions: sessionmaker[Session], source: Source
) -> None:
    with sessions.begin() as session:
        upsert_documents(
            session,
            source.workspace_id,
            [
                _file(source, README, "old", content="old"),
                _file(source, README, "new", content="new"),
            ],
        )
    with sessions() as session:
        assert get_document_content(session, source.workspace_id, README) == "new"
    assert _one(sessions, source.workspace_id, README).content_hash == "new"


def test_deleted_documents_drop_out_of_the_source_listing(
    sessions: sessionmaker[Session], source: Source
) -> None:
    workspace = source.workspace_id
    stored_ids = [f"github:file:acme/docs:{n}.md" for n in range(5)]
    with sessions.begin() as session:
        other = add_source(session, workspace, name="wiki", type="notion")
        upsert_documents(
            session, workspace, [_file(source, i, "h", content="x") for i in stored_ids]
        )
        upsert_documents(
            session, workspace, [DocumentUpsert(id="notion:page:1", source_id=other.id)]
        )
        mark_documents_processed(session, workspace, [(stored_ids[4], "h", 3)])

    # A full sync lists what the source still has; the rest was deleted there. Each deleted
    # document comes with its chunk count, the ids of its vectors.
    still_listed = set(stored_ids[:3])
    with sessions.begin() as session:
        known = list_document_ids(session, workspace, source.id)
        assert known == sorted(stored_ids)
        removed = sorted(set(known) - still_listed)
        assert mark_documents_deleted(
            session, workspace, [*removed, "github:file:acme/docs:x"]
        ) == {stored_ids[3]: 0, stored_ids[4]: 3}
    with sessions.begin() as session:
        assert mark_documents_deleted(session, workspace, removed) == {}
        assert list_document_ids(session, workspace, source.id) == sorted(still_listed)
        assert list_document_ids(session, workspace, other.id) == ["notion:page:1"]
        assert get_document_content(session, workspace, removed[0]) is None
        gone = get_documents(session, workspace, removed)
        assert {(d.status, d.embedded_hash, d.chunk_count) for d in gone} == {
            (DocumentStatus.DELETED, None, 0)
        }

    with sessions.begin() as session:
        upsert_documents(session, workspace, [_file(source, removed[0], "h")])
    assert _one(sessions, workspace, removed[0]).status is DocumentStatus.PENDING


def test_many_documents_are_written_and_read_in_chunks(
    sessions: sessionmaker[Session], source: Source
) -> None:
    workspace = source.workspace_id
    ids = [f"git:file:big:{n:04}.txt" for n in range(650)]
    with sessions.begin() as session:
        upsert_documents(session, workspace, [_file(source, i, "h", content=i) for i in ids])
    with sessions.begin() as session:
        assert [d.id for d in get_documents(session, workspace, reversed(ids))] == ids[::-1]
        assert len(mark_documents_deleted(session, workspace, ids[:450])) == 450
        assert list_document_ids(session, workspace, source.id) == ids[450:]


def test_documents_do_not_cross_workspaces(sessions: sessionmaker[Session], source: Source) -> None:
    with sessions.begin() as session:
        other = ensure_workspace(session, "other").id
        other_source = add_source(session, other, name="docs", type="github")
        upsert_documents(session, source.workspace_id, [_file(source, README, "a", content="a")])
        upsert_documents(session, other, [_file(other_source, README, "b", content="b")])
        mark_documents_deleted(session, other, [README])
    with sessions() as session:
        assert get_document_content(session, source.workspace_id, README) == "a"
        assert get_documents(session, other, [README])[0].status is DocumentStatus.DELETED
    assert _one(sessions, source.workspace_id, README).status is DocumentStatus.PENDING


def test_failures_are_recorded_once_per_stage(
    sessions: sessionmaker[Session], source: Source, job: Job
) -> None:
    workspace = source.workspace_id
    with sessions.begin() as session:
        upsert_documents(session, workspace, [_file(source, README, "h", content="x")])
        for stage, message in (
            (FailureStage.EMBED, "timeout"),
            (FailureStage.EMBED, "timeout again"),
            (FailureStage.CHUNK, "bad encoding"),
        ):
            record_document_failure(
                session,
                job_id=job.id,
                workspace_id=workspace,
                document_id=README,
                stage=stage,
                message=message,
            )
        record_document_failure(
            session,
            job_id=job.id,
            workspace_id=workspace,
            document_id="github:file:acme/docs:never-fetched.md",
            stage=FailureStage.FETCH,
            message="404 Not Found",
        )
    with sessions() as session:
        failures = list_failures(session, job.id)
        assert list_failures(session, "job_other") == []
    assert [(f.document_id, f.stage, f.message) for f in failures] == [
        (README, FailureStage.CHUNK, "bad encoding"),
        (README, FailureStage.EMBED, "timeout again"),
        ("github:file:acme/docs:never-fetched.md", FailureStage.FETCH, "404 Not Found"),
    ]
    assert {f.workspace_id for f in failures} == {workspace}
    assert _one(sessions, workspace, README).status is DocumentStatus.FAILED
