"""Stable, readable document ids (DESIGN section 5).

A connector names each document within its source from readable parts, following the
original design (``{type}:file:{owner}/{repo}:{path}``, ``{type}:issue:{id}``); the core
stores it as ``{source_id}:{that name}`` (``scoped_document_id``), so two sources on the
same repository (two branches, say) never share a document. An id names a document across
syncs, so re-processing it replaces its rows and vectors instead of duplicating them.
"""

__all__ = ["chunk_id", "path_part", "readable_id", "scoped_document_id"]


def _part(name: str, value: str) -> str:
    if not value or value.strip() != value:
        raise ValueError(f"{name} must be non-empty without surrounding whitespace: {value!r}")
    return value


def path_part(path: str) -> str:
    """A file path as an id part: leading slashes dropped, since APIs differ on them
    (``/src/a.py`` vs ``src/a.py``)."""
    return _part("path", path.lstrip("/"))


def readable_id(*parts: str) -> str:
    """``part:part:...``, every part non-empty without surrounding whitespace."""
    if not parts:
        raise ValueError("a document id needs at least one part")
    return ":".join(_part(f"part {n}", part) for n, part in enumerate(parts))


def scoped_document_id(source_id: str, name: str) -> str:
    """``{source_id}:{name}``: the id under which the core stores a source's document."""
    return f"{_part('source_id', source_id)}:{_part('name', name)}"


def chunk_id(document_id: str, n: int) -> str:
    """`{document_id}#{n}`: the id of the `n`-th chunk (from 0) of a document."""
    if n < 0:
        raise ValueError(f"chunk index must be >= 0, got {n}")
    return f"{_part('document_id', document_id)}#{n}"
