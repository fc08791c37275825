"""What a source is to the core: one ``SourceSpec`` per connector package.

The CLI, the API, webhooks, the orchestrator's routing and the database read a source's
type, configuration, cursor and behaviour from its spec and nothing else, so a new source
is one folder (or one installed package) that declares its spec in the
``sourcesync.sources`` entry-point group (see ``registry.py`` and docs/ADDING_A_SOURCE.md).

A source is of one of two kinds. A **file** source (a repository) lists files and fetches
their bytes; it joins the pipeline at ``files.batch.process``. A **document** source (an
issue tracker, a wiki, a chat) turns API responses into documents itself; it joins at
``docs.batch.trigger``.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from .document_source import DocumentSource
from .file_source import FileSource
from .webhooks import WebhookHandler

__all__ = [
    "SourceConfig",
    "SourceContext",
    "SourceCursor",
    "SourceKind",
    "SourceSpec",
    "argument",
    "option",
]

TYPE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
"""Type names are lower-case words: they appear in event names, function ids and routes."""


class SourceKind(StrEnum):
    FILES = "files"
    """Lists files and fetches their bytes: joins at ``files.batch.process``."""
    DOCUMENTS = "documents"
    """Produces documents from API responses: joins at ``docs.batch.trigger``."""


class SourceConfig(BaseModel):
    """Base of a source's configuration: what ``sourcesync sources add TYPE`` asks for.

    It is stored in the database and shown to users, so it never holds a secret: a
    credential is the NAME of an environment variable (``token_env``) or a key file path.
    Fields made with ``argument()`` become positional arguments of ``sources add``; the
    others become options (``--token-env``), repeatable for lists.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceCursor(BaseModel):
    """Base of a source's cursor: where its next incremental sync starts."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


def argument(description: str, **kwargs: Any) -> Any:
    """A required config field given as a positional argument of ``sources add``."""
    return Field(description=description, json_schema_extra={"cli": "argument"}, **kwargs)


def option(description: str, *, flag: str | None = None, **kwargs: Any) -> Any:
    """A config field given as ``--flag`` (by default ``--field-name``) to ``sources add``."""
    extra: dict[str, JsonValue] = {"cli": "option"}
    if flag:
        extra["flag"] = flag
    return Field(description=description, json_schema_extra=extra, **kwargs)


@dataclass(frozen=True)
class SourceContext:
    """Who a connector works for: the source's row and the API base URLs in effect.

    ``urls`` has every key of the spec's ``urls``, with the default unless a setting
    (``SOURCESYNC_{TYPE}_{KEY}``) overrides it: GitHub Enterprise, or a test's fake.
    """

    workspace_id: str
    source_id: str
    name: str
    urls: Mapping[str, str] = field(default_factory=dict)


ConfigT = TypeVar("ConfigT", bound=SourceConfig)


@dataclass(frozen=True, kw_only=True)
class SourceSpec(Generic[ConfigT]):
    """Everything the core knows of one type of source.

    Give ``open_files`` for a file source or ``open_documents`` for a document source.
    Both connectors have ``validate()``, which checks access and raises
    ``SourceConfigError`` with a message that says what to fix.
    """

    type: str
    description: str
    """One line, shown by ``sourcesync sources add --help``."""
    config: builtins.type[ConfigT]
    cursor: builtins.type[SourceCursor]
    location: Callable[[ConfigT], str]
    """Where the source reads from, as ``sources list`` shows it."""
    default_name: Callable[[ConfigT], str]
    open_files: Callable[[ConfigT, SourceContext], FileSource] | None = None
    open_documents: Callable[[ConfigT, SourceContext], DocumentSource] | None = None
    urls: Mapping[str, str] = field(default_factory=dict)
    """Default API base URLs by key (``api_url``); each is a setting too."""
    webhooks: WebhookHandler[ConfigT, Any] | None = None

    def __post_init__(self) -> None:
        if not TYPE_NAME.fullmatch(self.type):
            raise ValueError(f"source type {self.type!r} must match {TYPE_NAME.pattern}")
        if (self.open_files is None) == (self.open_documents is None):
            raise ValueError(
                f"source type {self.type!r} needs exactly one of open_files or open_documents"
            )

    @property
    def kind(self) -> SourceKind:
        return SourceKind.FILES if self.open_files is not None else SourceKind.DOCUMENTS

    def parse_config(self, raw: Mapping[str, Any]) -> ConfigT:
        """The stored (or given) configuration as this source's model; raises
        ``pydantic.ValidationError`` naming the bad fields."""
        return self.config.model_validate(dict(raw))

    def parse_cursor(self, raw: Mapping[str, Any] | None) -> SourceCursor | None:
        """The stored cursor, or None (a full sync) when there is none or it is unreadable."""
        if not raw:
            return None
        try:
            return self.cursor.model_validate(dict(raw))
        except ValueError:
            return None
