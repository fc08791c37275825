"""SQL predicates for LanceDB filters, built from escaped literals only.

LanceDB takes filters as SQL text. Values come from callers (document ids contain paths,
quotes and backslashes), so every value goes through `sql_literal`; column names are ours.
"""

import re
from collections.abc import Iterable, Iterator

from sourcesync.stores.base import ChunkFilter


def sql_literal(value: str) -> str:
    """Quote `value` as a SQL string literal.

    LanceDB's SQL dialect treats a backslash as an ordinary character, so doubling single
    quotes is the only escaping a literal needs.
    """
    if "\x00" in value:
        raise ValueError("a filter value cannot contain a NUL character")
    return "'" + value.replace("'", "''") + "'"


def equals(column: str, value: str) -> str:
    """`column = 'value'`."""
    return f"{column} = {sql_literal(value)}"


def is_in(column: str, values: Iterable[str]) -> str:
    """`column IN ('a', 'b')`; `values` must not be empty."""
    literals = ", ".join(sql_literal(value) for value in values)
    if not literals:
        raise ValueError(f"an IN filter on {column} needs at least one value")
    return f"{column} IN ({literals})"


def all_of(*predicates: str | None) -> str:
    """Join the predicates that are not None with AND."""
    return " AND ".join(f"({predicate})" for predicate in predicates if predicate is not None)


def batched(values: Iterable[str], size: int) -> Iterator[list[str]]:
    """Yield `values` in lists of at most `size`, to keep IN filters a sane length."""
    batch: list[str] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def matches_glob(column: str, glob: str) -> str:
    """`column` matches a path glob: `*` and `?` within a folder, `**` across folders.

    A glob without `/` matches the last path segment in any folder, as in `.gitignore`.
    """
    return f"regexp_like({column}, {sql_literal(glob_regex(glob))})"


def glob_regex(glob: str) -> str:
    """The anchored regular expression (Rust and Python syntax alike) of a path glob."""
    pattern = glob if "/" in glob else f"**/{glob}"
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        elif pattern[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            parts.append("[^/]")
            index += 1
        else:
            parts.append(re.escape(pattern[index]))
            index += 1
    return "^" + "".join(parts) + "$"


def chunk_filter(workspace_id: str, chunk_filter: ChunkFilter | None) -> str:
    """The SQL of a query's filter: always the workspace, then what the caller asked for."""
    wanted = chunk_filter or ChunkFilter()
    return all_of(
        equals("workspace_id", workspace_id),
        None if wanted.source_id is None else equals("source_id", wanted.source_id),
        None if wanted.source_type is None else equals("source_type", wanted.source_type),
        None if wanted.path_glob is None else matches_glob("path", wanted.path_glob),
    )
