"""One branch of a GitHub repository as a file source.

Listing costs one REST request for the branch head and one for the tree (more only when
GitHub cuts the tree); an incremental plan costs a compare and a tree for the sizes of
the changed files. Content comes from the raw host, which the REST quota does not count.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from sourcesync.documents import Document

from ..errors import SourceConfigError
from ..file_filters import FileFilter
from ..file_source import FilePlan, FileRef
from .client import GitHubClient
from .compare import Comparison, compare_commits
from .content import download_files
from .errors import GitHubNotFoundError
from .settings import COMPARE_FILES_CAP, DEFAULT_WEB_URL
from .transform import github_document, github_file_id
from .tree import TreeFile, files_at, list_files


class GitHubFileSource:
    """Files of one branch (the default branch when none is given) of a GitHub repository.

    ``web_url`` is where document links point (a GitHub Enterprise server's own host);
    ``compare_files_cap`` is the most files the server's Compare API lists.
    """

    def __init__(
        self,
        *,
        client: GitHubClient,
        workspace_id: str,
        source_id: str,
        branch: str | None = None,
        file_filter: FileFilter | None = None,
        web_url: str = DEFAULT_WEB_URL,
        compare_files_cap: int = COMPARE_FILES_CAP,
    ) -> None:
        self.client = client
        self.workspace_id = workspace_id
        self.source_id = source_id
        self.branch = branch
        self.filter = file_filter or FileFilter()
        self.web_url = web_url
        self.compare_files_cap = compare_files_cap
        self._default_branch: str | None = None
        self._head: str | None = None

    def close(self) -> None:
        self.client.close()

    def validate(self) -> str:
        """Check the token, the repository and the branch; return the branch's head commit."""
        self._default_branch = self._read_default_branch()
        return self._branch_head()

    def plan(self, last_commit: str | None, full: bool) -> FilePlan:
        head = self._branch_head()
        if full or not last_commit:
            return self._full(head)
        if last_commit == head:
            return FilePlan(head=head, files=[], full=False, notes=["no new commits"])
        comparison = compare_commits(
            self.client, last_commit, head, files_cap=self.compare_files_cap
        )
        if comparison is None:
            return self._full(
                head, f"full sync: GitHub no longer knows {last_commit[:12]} (history rewritten)"
            )
        if not comparison.base_is_ancestor:
            return self._full(
                head,
                f"full sync: {last_commit[:12]} is no longer in the branch's history "
                f"({comparison.status})",
            )
        if not comparison.complete:
            return self._tree_diff(last_commit, head)
        return self._incremental(head, comparison)

    def fetch(self, refs: Sequence[FileRef], commit: str | None = None) -> dict[str, bytes | None]:
        """Bytes of each file at ``commit``; None for a file gone from it.

        ``commit`` defaults to the head this source last validated or planned, else the
        branch's current head; pass the planned head when another instance planned.
        """
        at = commit or self._head or self._branch_head()
        return download_files(self.client, at, [ref.path for ref in refs])

    def document_id(self, path: str) -> str:
        return github_file_id(self.client.owner, self.client.name, path)

    def document(self, *, head: str, ref: FileRef, text: str) -> Document:
        return github_document(
            workspace_id=self.workspace_id,
            source_id=self.source_id,
            owner=self.client.owner,
            repo=self.client.name,
            branch=self.branch or self._default_branch,
            commit=head,
            ref=ref,
            text=text,
            web_url=self.web_url,
        )

    def _read_default_branch(self) -> str:
        try:
            repository = self.client.repo_json(what=f"the repository {self.client.full_name}")
        except GitHubNotFoundError as exc:
            raise SourceConfigError(
                f"repository {self.client.full_name} not found or the token cannot see it"
            ) from exc
        return str(repository["default_branch"])

    def _branch_name(self) -> str:
        if self.branch:
            return self.branch
        if self._default_branch is None:
            self._default_branch = self._read_default_branch()
        return self._default_branch

    def _branch_head(self) -> str:
        branch = self._branch_name()
        try:
            body = self.client.repo_json(
                f"/branches/{quote(branch)}",
                what=f"the branch {branch!r} of {self.client.full_name}",
            )
        except GitHubNotFoundError as exc:
            raise SourceConfigError(
                f"branch {branch!r} not found in {self.client.full_name}; check the configured "
                "branch"
            ) from exc
        self._head = str(body["commit"]["sha"])
        return self._head

    def _refs(self, files: Sequence[TreeFile]) -> list[FileRef]:
        return [FileRef(f.path, f.sha, f.size) for f in files if self.filter.accepts(f.path)]

    def _full(self, head: str, note: str | None = None) -> FilePlan:
        files = self._refs(list_files(self.client, head))
        return FilePlan(head=head, files=files, full=True, notes=[note] if note else [])

    def _incremental(self, head: str, comparison: Comparison) -> FilePlan:
        changed = [path for path in comparison.changed if self.filter.accepts(path)]
        found = files_at(self.client, head, changed)
        deleted = sorted(
            path for path in set(comparison.removed) - set(changed) if self.filter.accepts(path)
        )
        files = self._refs([found[path] for path in changed if path in found])
        return FilePlan(head=head, files=files, deleted_paths=deleted, full=False)

    def _tree_diff(self, base: str, head: str) -> FilePlan:
        """The exact changes when the Compare API's list may be cut: diff the two trees."""
        before = {file.path: file.sha for file in list_files(self.client, base)}
        after = list_files(self.client, head)
        remaining = {file.path for file in after}
        files = self._refs([file for file in after if before.get(file.path) != file.sha])
        deleted = sorted(
            path for path in before if path not in remaining and self.filter.accepts(path)
        )
        note = (
            f"the Compare API listed {self.compare_files_cap} files, its limit: diffed the trees "
            f"of {base[:12]} and {head[:12]} instead"
        )
        return FilePlan(head=head, files=files, deleted_paths=deleted, full=False, notes=[note])
