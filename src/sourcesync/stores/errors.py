"""Errors raised by vector stores.

Each error also derives from the built-in exception a caller would reach for first
(`LookupError`, `ValueError`), so generic handlers keep working.
"""


class VectorStoreError(Exception):
    """Base class of every error raised by `sourcesync.stores`."""


class InvalidNamespaceError(VectorStoreError, ValueError):
    """A namespace cannot name a table (it is empty, or too long)."""


class NamespaceNotFoundError(VectorStoreError, LookupError):
    """An operation addressed a namespace whose table does not exist yet."""

    def __init__(self, namespace: str) -> None:
        super().__init__(
            f"vector store namespace {namespace!r} does not exist; "
            "call ensure(namespace, dimension) before writing to or reading from it"
        )
        self.namespace = namespace


class DimensionMismatchError(VectorStoreError, ValueError):
    """A vector's length differs from the dimension of the namespace's table."""

    def __init__(self, namespace: str, expected: int, actual: int, *, what: str) -> None:
        super().__init__(
            f"{what} has dimension {actual} but vector store namespace {namespace!r} holds "
            f"vectors of dimension {expected}; embed with the model the namespace was created "
            "for, or use a new namespace (or drop this one) and re-embed every document"
        )
        self.namespace = namespace
        self.expected = expected
        self.actual = actual


class IndexMismatchError(VectorStoreError, ValueError):
    """A remote index exists under the store's name but is not the kind the store needs."""


class InvalidRecordError(VectorStoreError, ValueError):
    """A batch of chunk records is inconsistent (duplicate ids, wrong document, bad metadata)."""


class UnsupportedStoreURLError(VectorStoreError, ValueError):
    """`open_vector_store` was given a URL for a backend that is not available."""
