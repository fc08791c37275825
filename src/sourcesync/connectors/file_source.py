"""What a repository-like source offers the file pipeline (git on disk, GitHub).

A file source lists the files to sync (everything at a commit, or what changed since the
last synced commit), fetches their bytes, and turns them into documents. The workflows
drive it and never see how it talks to its host.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sourcesync.documents import Document


@dataclass(frozen=True, slots=True)
class FileRef:
    """A file at the synced commit: enough to fetch it and to skip it before fetching."""

    path: str
    blob: str
    size: int

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "blob": self.blob, "size": self.size}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> FileRef:
        return cls(str(raw["path"]), str(raw["blob"]), int(raw["size"]))


@dataclass(frozen=True)
class FilePlan:
    """What one sync must do: the head commit, files to (re)process and paths to delete."""

    head: str
    files: Sequence[FileRef]
    deleted_paths: Sequence[str] = ()
    full: bool = True
    notes: Sequence[str] = field(default=())


class FileSource(Protocol):
    """A source of files; every method may block (run it off the event loop)."""

    def validate(self) -> str:
        """Check access (path, token, repository, branch); return the head commit."""
        ...

    def plan(self, last_commit: str | None, full: bool) -> FilePlan:
        """Files to process: all of them, or the changes since ``last_commit``."""
        ...

    def fetch(self, refs: Sequence[FileRef], commit: str | None = None) -> dict[str, bytes | None]:
        """Bytes of each file at ``commit`` by path; ``None`` when it vanished."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...

    def document_id(self, path: str) -> str:
        """The connector's name of the document of ``path`` (``Document.id``)."""
        ...

    def document(self, *, head: str, ref: FileRef, text: str) -> Document:
        """The document of one fetched file at commit ``head``."""
        ...
