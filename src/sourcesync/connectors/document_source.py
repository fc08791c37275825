"""What a document source offers the pipeline (Linear, and any API whose items are documents).

The core drives every document source the same way (``workflows/document_source_sync.py``):
it stores each batch of changed documents, deletes the ones reported gone, moves the
source's cursor to the batch's, and after a full sync removes what the source no longer
lists. A source only says what changed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sourcesync.documents import Document

if TYPE_CHECKING:
    from .spec import SourceCursor


@dataclass(frozen=True, kw_only=True)
class DocumentBatch:
    """Documents to store and names of documents to delete (archived, trashed, gone).

    Names are the connector's own (``linear:issue:{id}``), as in ``Document.id``. Once the
    batch is stored, the next sync may start from ``cursor`` (None: do not move it).
    """

    documents: Sequence[Document]
    deleted_ids: Sequence[str] = ()
    cursor: SourceCursor | None = None


class DocumentSource(Protocol):
    """A source of documents; every method may block (the core runs it off the event loop)."""

    def validate(self) -> str:
        """Check access (token, scope); return what was found (a user, a workspace)."""
        ...

    def changes(self, cursor: SourceCursor | None) -> Iterator[DocumentBatch]:
        """Batches of what changed since ``cursor`` (everything when None), oldest first,
        so that storing a batch and then moving to its cursor never skips anything."""
        ...

    def live_ids(self) -> set[str] | None:
        """The names of every document the source still has: after a full sync, stored
        documents missing from it are deleted. None when the source cannot list all it
        has (a feed shows only its latest entries), so nothing is pruned."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
