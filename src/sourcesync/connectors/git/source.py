"""A local git repository as a file source."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sourcesync.documents import Document

from ..file_filters import FileFilter
from ..file_source import FilePlan, FileRef
from .repository import GitFile, GitRepository
from .transform import git_document, git_file_id


class GitFileSource:
    """Files of one branch of a repository on disk: of the folder the path names, when
    it names a folder inside a repository (paths stay relative to the repository)."""

    def __init__(
        self,
        *,
        path: str | Path,
        name: str,
        branch: str | None = None,
        file_filter: FileFilter | None = None,
        workspace_id: str,
        source_id: str,
    ) -> None:
        self.repository = GitRepository(path)
        self.name = name
        self.workspace_id = workspace_id
        self.source_id = source_id
        self.branch = branch
        self.filter = file_filter or FileFilter()
        self._prefix: str | None = None

    def _accepts(self, path: str) -> bool:
        if self._prefix is None:
            self._prefix = self.repository.folder_prefix()
        return path.startswith(self._prefix) and self.filter.accepts(path)

    def validate(self) -> str:
        return self.repository.validate(self.branch)

    def plan(self, last_commit: str | None, full: bool) -> FilePlan:
        head = self.repository.head(self.branch)
        if not full and last_commit and last_commit != head:
            if self.repository.is_ancestor(last_commit, head):
                return self._incremental(last_commit, head)
            full_reason = f"{last_commit[:12]} is no longer in the branch's history"
            return self._full(head, notes=[f"full sync: {full_reason}"])
        if not full and last_commit == head:
            return FilePlan(head=head, files=[], full=False, notes=["no new commits"])
        return self._full(head)

    def _full(self, head: str, notes: Sequence[str] = ()) -> FilePlan:
        files = [
            FileRef(f.path, f.blob_sha, f.size)
            for f in self.repository.list_files(head)
            if self._accepts(f.path)
        ]
        return FilePlan(head=head, files=files, full=True, notes=notes)

    def _incremental(self, base: str, head: str) -> FilePlan:
        changes = self.repository.changes(base, head)
        deleted = [c.path for c in changes if c.kind == "deleted" and self._accepts(c.path)]
        changed = [c.path for c in changes if c.kind != "deleted" and self._accepts(c.path)]
        blobs = self.repository.blobs_for(head, changed)
        files = [
            FileRef(path, blobs[path].blob_sha, blobs[path].size)
            for path in changed
            if path in blobs
        ]
        # A file that became a symbolic link or a submodule is no longer indexed.
        deleted += [path for path in changed if path not in blobs]
        return FilePlan(head=head, files=files, deleted_paths=deleted, full=False)

    def fetch(self, refs: Sequence[FileRef], commit: str | None = None) -> dict[str, bytes | None]:
        """Blobs are addressed by their sha, which already pins the commit's content."""
        blobs = self.repository.read_blobs(ref.blob for ref in refs)
        return {ref.path: blobs.get(ref.blob) for ref in refs}

    def close(self) -> None:
        """Nothing to release: every read is its own ``git`` process."""

    def document_id(self, path: str) -> str:
        return git_file_id(self.name, path)

    def document(self, *, head: str, ref: FileRef, text: str) -> Document:
        return git_document(
            workspace_id=self.workspace_id,
            source_id=self.source_id,
            repo_name=self.name,
            repo_path=self.repository.path,
            branch=self.branch,
            commit=head,
            file=GitFile(ref.path, ref.blob, ref.size),
            text=text,
        )
