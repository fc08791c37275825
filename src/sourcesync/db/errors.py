"""Every error the database layer raises on purpose, in one place."""

from __future__ import annotations


class DatabaseError(Exception):
    """Base class of the database layer's own errors."""


class UnsupportedDatabaseError(DatabaseError):
    """The URL names a database other than SQLite or PostgreSQL."""

    def __init__(self, dialect: str) -> None:
        super().__init__(
            f"sourcesync supports SQLite and PostgreSQL, not {dialect!r}; "
            "use a sqlite:/// or postgresql+psycopg:// URL"
        )
        self.dialect = dialect


class NotFoundError(DatabaseError):
    """A row that an operation needs does not exist."""


class SourceNotFoundError(NotFoundError):
    def __init__(self, source: str) -> None:
        super().__init__(f"no source with id or name {source!r} in this workspace")
        self.source = source


class JobNotFoundError(NotFoundError):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"job {job_id!r} does not exist")
        self.job_id = job_id


class WorkspaceIdTakenError(DatabaseError):
    def __init__(self, workspace_id: str, name: str) -> None:
        super().__init__(
            f"cannot create workspace {name!r} with id {workspace_id!r}: "
            "another workspace already has that id"
        )
        self.workspace_id = workspace_id


class SourceNameTakenError(DatabaseError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"a source named {name!r} already exists in this workspace; choose another name"
        )
        self.name = name


class SecretInConfigError(DatabaseError):
    """A source config holds what looks like a credential instead of the name of one."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"source config key {key!r} looks like a credential; store the name of the "
            f"environment variable that holds it instead, as {key}_env"
        )
        self.key = key


class StoreMismatchError(DatabaseError):
    """A store namespace exists with another embedding model or dimension."""

    def __init__(self, namespace: str, existing: str, requested: str) -> None:
        super().__init__(
            f"store namespace {namespace!r} holds {existing} vectors, not {requested}; "
            "use a new namespace for a different embedding model"
        )
        self.namespace = namespace
