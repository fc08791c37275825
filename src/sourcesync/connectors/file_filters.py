"""Which files of a repository are worth indexing: globs, vendored folders, size."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field

SKIPPED_FOLDERS = frozenset(
    {
        ".git",
        "node_modules",
        "vendor",
        "third_party",
        "dist",
        "build",
        "target",
        "out",
        ".venv",
        "venv",
        "__pycache__",
        ".next",
        ".nuxt",
        ".tox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "coverage",
        ".idea",
        ".vscode",
    }
)
SKIPPED_NAMES = frozenset({"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock"})


@dataclass(frozen=True)
class FileFilter:
    """Include/exclude globs (matched against the path from the repository root).

    With includes, a file must match one; a file matching an exclude is dropped; vendored
    and build folders and lock files are dropped unless an include names them explicitly.
    """

    include: Sequence[str] = ()
    exclude: Sequence[str] = ()
    skip_vendored: bool = True
    skipped_folders: frozenset[str] = field(default=SKIPPED_FOLDERS)

    def accepts(self, path: str) -> bool:
        included = any(fnmatch.fnmatchcase(path, pattern) for pattern in self.include)
        if self.include and not included:
            return False
        if any(fnmatch.fnmatchcase(path, pattern) for pattern in self.exclude):
            return False
        if self.skip_vendored and not included:
            parts = path.split("/")
            if any(part in self.skipped_folders for part in parts[:-1]):
                return False
            if parts[-1] in SKIPPED_NAMES:
                return False
        return True
