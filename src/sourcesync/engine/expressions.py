"""CEL expressions over events, evaluated with cel-python.

Inngest expressions see ``event`` (the run's triggering event) and, in waits and
cancellations, ``async`` (the incoming event). Compiled programs are cached by source.

Most expressions are a field (``event.data.workspaceId``: keys of concurrency, debounce,
...) or two fields compared (``event.data.jobId == async.data.jobId``: cancellations and
waits). cel-python converts every variable to CEL values before it evaluates anything,
which for a large event costs far more than the lookup: those two shapes are answered
from the JSON directly, with CEL's results (a missing field is an error; fields compare
equal when both are strings, anything else goes to CEL).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any

import celpy
from celpy.adapter import json_to_cel

from .errors import ExpressionError

_environment = celpy.Environment()

_FIELD = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+"
_FIELD_ONLY = re.compile(rf"\s*({_FIELD})\s*")
_FIELDS_EQUAL = re.compile(rf"\s*({_FIELD})\s*==\s*({_FIELD})\s*")
_NOT_DIRECT = object()
"""``_direct``'s answer when only CEL can evaluate the expression."""


@functools.lru_cache(maxsize=1024)
def _compile(source: str) -> Any:
    try:
        return _environment.program(_environment.compile(source))
    except Exception as exc:
        raise ExpressionError(f"invalid expression {source!r}: {exc}") from exc


def validate(source: str) -> None:
    """Raise ``ExpressionError`` when ``source`` is not a valid CEL expression."""
    _compile(source)


@functools.lru_cache(maxsize=1024)
def _shape(source: str) -> tuple[tuple[str, ...], ...] | None:
    """The field paths of a field (one) or of a comparison of two; None for any other."""
    for pattern in (_FIELD_ONLY, _FIELDS_EQUAL):
        match = pattern.fullmatch(source)
        if match:
            return tuple(tuple(field.split(".")) for field in match.groups())
    return None


def _field(source: str, variables: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = variables
    for name in path:
        if not isinstance(value, Mapping) or name not in value:
            raise ExpressionError(f"expression {source!r} failed: no such key {name!r}")
        value = value[name]
    return value


def _direct(source: str, variables: Mapping[str, Any]) -> Any:
    """The value of a field, or of two string fields compared, without CEL."""
    paths = _shape(source)
    if paths is None:
        return _NOT_DIRECT
    values = [_field(source, variables, path) for path in paths]
    if len(values) == 1:
        return values[0]
    left, right = values
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    return _NOT_DIRECT


def evaluate(source: str, variables: Mapping[str, Any]) -> Any:
    """Evaluate ``source`` with JSON-like ``variables`` and return a plain Python value."""
    _compile(source)  # an invalid expression fails alike on either path
    value = _direct(source, variables)
    if value is not _NOT_DIRECT:
        return value
    return _evaluate_with_cel(source, variables)


def _evaluate_with_cel(source: str, variables: Mapping[str, Any]) -> Any:
    program = _compile(source)
    activation = {name: json_to_cel(value) for name, value in variables.items()}
    try:
        result = program.evaluate(activation)
    except Exception as exc:
        raise ExpressionError(f"expression {source!r} failed: {exc}") from exc
    if isinstance(result, Exception):
        raise ExpressionError(f"expression {source!r} failed: {result}")
    return _to_python(result)


def matches(source: str | None, variables: Mapping[str, Any]) -> bool:
    """True when there is no expression, or it evaluates to true; errors count as no match."""
    if not source:
        return True
    try:
        return evaluate(source, variables) is True
    except ExpressionError:
        return False


def evaluate_key(source: str | None, variables: Mapping[str, Any]) -> str:
    """Evaluate a key expression (concurrency, debounce, ...) into a stable string.

    An event without the fields the key reads gets the empty key: it still runs, and
    shares its limit with the other events that lack them.
    """
    if not source:
        return ""
    try:
        value = evaluate(source, variables)
    except ExpressionError:
        return ""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def evaluate_number(source: str | None, variables: Mapping[str, Any]) -> float:
    """Evaluate a numeric expression (priority); 0 when absent, failing or not a number."""
    if not source:
        return 0.0
    try:
        value = evaluate(source, variables)
    except ExpressionError:
        return 0.0
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _to_python(value: Any) -> Any:
    if isinstance(value, celpy.celtypes.BoolType):
        return bool(value)
    if isinstance(value, celpy.celtypes.IntType | celpy.celtypes.UintType):
        return int(value)
    if isinstance(value, celpy.celtypes.DoubleType):
        return float(value)
    if isinstance(value, celpy.celtypes.StringType):
        return str(value)
    if isinstance(value, celpy.celtypes.MapType):
        return {str(_to_python(k)): _to_python(v) for k, v in value.items()}
    if isinstance(value, celpy.celtypes.ListType):
        return [_to_python(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
