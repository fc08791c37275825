"""SQL predicates for LanceDB filters, built from escaped literals only.

LanceDB takes filters as SQL text. Values come from callers (document ids contain paths,
quotes and backslashes), so every value goes through `sql_literal`; column names are ours.
"""

from collections.abc import Iterable, Iterator


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
