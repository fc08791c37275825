"""Search results linked across sources through the code they share
(``documents.code_refs``): a deployment is "built from" the source that holds its
repository, a file is "deployed in" the builds of its commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sourcesync import db
from sourcesync.documents import CODE_REF_KEY, CodeRole
from sourcesync.workflows.services import Services

BUILDS_SHOWN = 3


def _ref(document: db.Document) -> dict[str, Any] | None:
    ref = (document.meta or {}).get(CODE_REF_KEY)
    return ref if isinstance(ref, dict) and isinstance(ref.get("repository"), str) else None


def related_links(
    services: Services, workspace_id: str, document_ids: Sequence[str], names: Mapping[str, str]
) -> dict[str, list[dict[str, Any]]]:
    """For each document id: links to documents of other sources about the same code."""
    links: dict[str, list[dict[str, Any]]] = {}
    with services.reading() as session:
        for document in db.get_documents(session, workspace_id, list(document_ids)):
            ref = _ref(document)
            if ref is None:
                continue
            if ref.get("role") == CodeRole.BUILD:
                links[document.id] = _built_from(session, workspace_id, document, ref, names)
            elif ref.get("role") == CodeRole.FILES and ref.get("commit"):
                links[document.id] = _deployed_in(session, workspace_id, document, ref, names)
    return links


def _built_from(
    session: Any,
    workspace_id: str,
    document: db.Document,
    ref: dict[str, Any],
    names: Mapping[str, str],
) -> list[dict[str, Any]]:
    """One link per source holding the repository's files, saying at which commit."""
    files = db.related_by_code(
        session,
        workspace_id,
        key=CODE_REF_KEY,
        repository=ref["repository"],
        role=CodeRole.FILES,
        other_than_source=document.source_id,
        limit=50,
    )
    commits_by_source: dict[str, set[str]] = {}
    for file in files:
        file_ref = _ref(file) or {}
        commits_by_source.setdefault(file.source_id, set()).add(str(file_ref.get("commit")))
    commit = ref.get("commit")
    return [
        {
            "relation": "built from",
            "source": names.get(source_id, source_id),
            "title": f"{ref['repository']}@{str(commit)[:12]}",
            "atCommit": commit in commits,
        }
        for source_id, commits in commits_by_source.items()
    ]


def _deployed_in(
    session: Any,
    workspace_id: str,
    document: db.Document,
    ref: dict[str, Any],
    names: Mapping[str, str],
) -> list[dict[str, Any]]:
    builds = db.related_by_code(
        session,
        workspace_id,
        key=CODE_REF_KEY,
        repository=ref["repository"],
        role=CodeRole.BUILD,
        commit=ref["commit"],
        other_than_source=document.source_id,
        limit=BUILDS_SHOWN,
    )
    return [
        {
            "relation": "deployed in",
            "source": names.get(build.source_id, build.source_id),
            "title": build.title,
            "documentId": build.id,
            "url": build.url,
        }
        for build in builds
    ]
