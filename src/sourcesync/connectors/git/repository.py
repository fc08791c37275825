"""Reading a local git repository through the ``git`` command: trees, blobs and diffs."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import SourceConfigError, SourceUnavailableError

ChangeKind = Literal["added", "modified", "deleted"]


@dataclass(frozen=True, slots=True)
class GitFile:
    path: str
    blob_sha: str
    size: int


@dataclass(frozen=True, slots=True)
class Change:
    """One path that changed between two commits (a rename is a delete plus an add)."""

    kind: ChangeKind
    path: str


class GitRepository:
    """A repository on disk. Every method runs ``git``; none writes to the repository."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()

    def _git(self, *args: str, stdin: bytes | None = None) -> bytes:
        try:
            completed = subprocess.run(
                ["git", "-C", str(self.path), *args],
                input=stdin,
                capture_output=True,
                check=False,
                timeout=600,
            )
        except FileNotFoundError as exc:
            raise SourceConfigError(
                "git is not installed: install git to sync git sources"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise SourceUnavailableError(f"git {args[0]} timed out in {self.path}") from exc
        if completed.returncode != 0:
            message = completed.stderr.decode(errors="replace").strip()
            raise SourceConfigError(f"git {args[0]} failed in {self.path}: {message}")
        return completed.stdout

    def validate(self, branch: str | None) -> str:
        """Check the path is a git repository with that branch; return the head commit."""
        if not self.path.exists():
            raise SourceConfigError(f"{self.path} does not exist")
        if not self.path.is_dir():
            raise SourceConfigError(f"{self.path} is not a directory")
        try:
            self._git("rev-parse", "--git-dir")
        except SourceConfigError as exc:
            raise SourceConfigError(
                f"{self.path} is not a git repository (run `git init` there, or add the "
                "folder that contains .git)"
            ) from exc
        return self.head(branch)

    def head(self, branch: str | None) -> str:
        """The commit a branch (or HEAD) points at."""
        ref = branch or "HEAD"
        try:
            return (
                self._git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
            )
        except SourceConfigError as exc:
            raise SourceConfigError(
                f"{self.path} has no branch or commit {ref!r}"
                + ("" if branch else " (the repository has no commits yet)")
            ) from exc

    def folder_prefix(self) -> str:
        """Where the path sits in its repository: ``""`` at the top, ``"docs/"`` in a folder."""
        return self._git("rev-parse", "--show-prefix").decode().strip()

    def default_branch(self) -> str | None:
        """The branch HEAD is on, or None when it is detached."""
        name = self._git("rev-parse", "--abbrev-ref", "HEAD").decode().strip()
        return None if name == "HEAD" else name

    def list_files(self, commit: str) -> list[GitFile]:
        """Every blob in the commit's tree, with its size, without reading content."""
        output = self._git("ls-tree", "-r", "-l", "-z", "--full-tree", commit)
        files = []
        for entry in output.split(b"\0"):
            if not entry:
                continue
            meta, _, path = entry.partition(b"\t")
            mode, kind, sha, size = meta.split()
            if kind != b"blob" or mode in (b"160000", b"120000"):
                continue
            files.append(GitFile(path.decode(errors="surrogateescape"), sha.decode(), int(size)))
        return files

    def is_ancestor(self, older: str, newer: str) -> bool:
        """True when ``older`` is in ``newer``'s history (False after a rewrite)."""
        try:
            self._git("merge-base", "--is-ancestor", older, newer)
        except SourceConfigError:
            return False
        return True

    def changes(self, older: str, newer: str) -> list[Change]:
        """Added, modified and deleted paths from ``older`` to ``newer`` (renames split)."""
        output = self._git("diff", "--name-status", "-z", "-M", older, newer)
        fields = [f.decode(errors="surrogateescape") for f in output.split(b"\0") if f]
        changes: list[Change] = []
        index = 0
        while index < len(fields):
            status = fields[index]
            if status.startswith(("R", "C")):
                source, target = fields[index + 1], fields[index + 2]
                if status.startswith("R"):
                    changes.append(Change("deleted", source))
                changes.append(Change("added", target))
                index += 3
                continue
            path = fields[index + 1]
            kind: ChangeKind = {"A": "added", "D": "deleted"}.get(status[0], "modified")  # type: ignore[assignment]
            changes.append(Change(kind, path))
            index += 2
        return changes

    def blobs_for(self, commit: str, paths: Iterable[str]) -> dict[str, GitFile]:
        """Look up the blob and size of specific paths at a commit (missing paths omitted,
        and symbolic links and submodules, which ``list_files`` skips too)."""
        wanted = list(paths)
        if not wanted:
            return {}
        output = self._git("ls-tree", "-l", "-z", "--full-tree", commit, "--", *wanted)
        found: dict[str, GitFile] = {}
        for entry in output.split(b"\0"):
            if not entry:
                continue
            meta, _, path = entry.partition(b"\t")
            mode, kind, sha, size = meta.split()
            if kind == b"blob" and mode not in (b"160000", b"120000"):
                name = path.decode(errors="surrogateescape")
                found[name] = GitFile(name, sha.decode(), int(size))
        return found

    def read_blobs(self, shas: Iterable[str]) -> dict[str, bytes]:
        """Content of many blobs in one ``git cat-file --batch`` call."""
        wanted = list(dict.fromkeys(shas))
        if not wanted:
            return {}
        output = self._git("cat-file", "--batch", stdin="\n".join(wanted).encode() + b"\n")
        blobs: dict[str, bytes] = {}
        position = 0
        for sha in wanted:
            header_end = output.index(b"\n", position)
            header = output[position:header_end].split()
            if len(header) < 3 or header[1] == b"missing":
                position = header_end + 1
                continue
            size = int(header[2])
            start = header_end + 1
            blobs[sha] = output[start : start + size]
            position = start + size + 1
        return blobs
