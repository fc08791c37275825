"""Opening a source row as the connector that reads it, through its registered spec."""

from __future__ import annotations

import contextlib
from typing import Any

from sourcesync import db
from sourcesync.connectors.document_source import DocumentSource
from sourcesync.connectors.errors import SourceConfigError
from sourcesync.connectors.file_source import FileSource
from sourcesync.connectors.registry import get_spec
from sourcesync.connectors.spec import SourceContext, SourceKind, SourceSpec
from sourcesync.settings import Settings


def source_context(source: db.Source, spec: SourceSpec[Any], settings: Settings) -> SourceContext:
    """Who the connector works for, with the spec's API URLs as the settings give them."""
    return SourceContext(
        workspace_id=source.workspace_id,
        source_id=source.id,
        name=source.name,
        urls={
            key: settings.source_url(spec.type, key, default) for key, default in spec.urls.items()
        },
    )


def _config(source: db.Source, spec: SourceSpec[Any]) -> Any:
    try:
        return spec.parse_config(source.config or {})
    except ValueError as exc:
        raise SourceConfigError(
            f"the stored configuration of source {source.name!r} is not valid: {exc}"
        ) from exc


def open_file_source(source: db.Source, settings: Settings) -> FileSource:
    """The file connector of a file source (close it when done)."""
    spec = get_spec(source.type)
    if spec.open_files is None:
        raise SourceConfigError(f"{source.type} sources are not file sources")
    return spec.open_files(_config(source, spec), source_context(source, spec, settings))


def open_document_source(source: db.Source, settings: Settings) -> DocumentSource:
    """The connector of a document source (close it when done)."""
    spec = get_spec(source.type)
    if spec.open_documents is None:
        raise SourceConfigError(f"{source.type} sources are not document sources")
    return spec.open_documents(_config(source, spec), source_context(source, spec, settings))


def validate_source(source: db.Source, settings: Settings) -> str:
    """Check the source can be read (path, token, repository, teams); say what was found."""
    connector: FileSource | DocumentSource
    if get_spec(source.type).kind is SourceKind.FILES:
        connector = open_file_source(source, settings)
    else:
        connector = open_document_source(source, settings)
    with contextlib.closing(connector):
        return connector.validate()
