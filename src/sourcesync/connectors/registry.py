"""Every source type this process knows: the specs declared in the ``sourcesync.sources``
entry-point group.

sourcesync declares its built-in sources in that group in its own ``pyproject.toml``; a
package that declares an entry point there (``rss = "my_package.spec:spec"``, named by the
source type) adds a source without any edit to sourcesync. The registry is read once per
process, and a command that needs one type's spec loads that one alone.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from .errors import ConnectorError
from .spec import SourceSpec

__all__ = [
    "ENTRY_POINT_GROUP",
    "DuplicateSourceTypeError",
    "InvalidSourceSpecError",
    "UnknownSourceTypeError",
    "all_specs",
    "get_spec",
    "load_specs",
]

ENTRY_POINT_GROUP = "sourcesync.sources"


class DuplicateSourceTypeError(ConnectorError):
    """Two installed packages declare the same source type."""


class InvalidSourceSpecError(ConnectorError):
    """An entry point of the group does not lead to a ``SourceSpec``."""


class UnknownSourceTypeError(ConnectorError):
    """No installed source has this type."""

    def __init__(self, source_type: str, known: Iterable[str]) -> None:
        names = ", ".join(sorted(known)) or "none"
        super().__init__(f"no source type {source_type!r} is installed (installed: {names})")
        self.source_type = source_type


def load_specs(points: Iterable[EntryPoint]) -> dict[str, SourceSpec[Any]]:
    """The specs behind ``points`` by type; a duplicate type or a wrong object fails."""
    specs: dict[str, SourceSpec[Any]] = {}
    origin: dict[str, str] = {}
    for point in sorted(points, key=lambda p: p.name):
        spec = point.load()
        if not isinstance(spec, SourceSpec):
            raise InvalidSourceSpecError(
                f"the entry point {point.name} = {point.value} in {ENTRY_POINT_GROUP} is not a "
                f"SourceSpec but a {type(spec).__name__}"
            )
        if spec.type != point.name:
            raise InvalidSourceSpecError(
                f"the entry point {point.name} = {point.value} in {ENTRY_POINT_GROUP} must be "
                f"named by its source type, {spec.type!r}"
            )
        if spec.type in specs:
            raise DuplicateSourceTypeError(
                f"two sources declare the type {spec.type!r}: {origin[spec.type]} and "
                f"{point.value}; uninstall one of them"
            )
        specs[spec.type] = spec
        origin[spec.type] = point.value
    return specs


@functools.cache
def all_specs() -> Mapping[str, SourceSpec[Any]]:
    """Every installed source type's spec, by type name (read once per process)."""
    return load_specs(entry_points(group=ENTRY_POINT_GROUP))


@functools.cache
def get_spec(source_type: str) -> SourceSpec[Any]:
    """The spec of ``source_type``; ``UnknownSourceTypeError`` when none is installed.

    Only that type's entry points are loaded (two of them are a duplicate, as in
    ``all_specs``): `sources list` and a sync import no other source's modules.
    """
    points = entry_points(group=ENTRY_POINT_GROUP, name=source_type)
    if not points:
        known = {point.name for point in entry_points(group=ENTRY_POINT_GROUP)}
        raise UnknownSourceTypeError(source_type, known)
    return load_specs(points)[source_type]
