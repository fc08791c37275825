"""Links between sources through the code they share.

A document that is a file of a repository at a commit, or a build or deployment of a
commit, says so in its metadata under ``CODE_REF_KEY``:
``{"repository": "octo/widgets", "commit": "<sha>", "role": "files" | "build"}``. The core
joins documents of different sources through it (``db.related_by_code``), so search
results show "built from" a repository's source and "deployed in" a build, without any
source knowing another.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import JsonValue

CODE_REF_KEY = "code_ref"


class CodeRole(StrEnum):
    FILES = "files"
    """The document is a file of the repository at the commit."""
    BUILD = "build"
    """The document is a build or deployment of the commit."""


def code_ref(repository: str, commit: str | None, role: CodeRole) -> dict[str, JsonValue]:
    """The metadata value that links a document to ``repository`` at ``commit``.

    Repositories are compared case-insensitively, as hosts name them.
    """
    return {"repository": repository.lower(), "commit": commit, "role": str(role)}
