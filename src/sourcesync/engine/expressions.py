"""CEL expressions over events, evaluated with cel-python.

Inngest expressions see ``event`` (the run's triggering event) and, in waits and
cancellations, ``async`` (the incoming event). Compiled programs are cached by source.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

import celpy
from celpy.adapter import json_to_cel

from .errors import ExpressionError

_environment = celpy.Environment()


@functools.lru_cache(maxsize=1024)
def _compile(source: str) -> Any:
    try:
        return _environment.program(_environment.compile(source))
    except Exception as exc:
        raise ExpressionError(f"invalid expression {source!r}: {exc}") from exc


def validate(source: str) -> None:
    """Raise ``ExpressionError`` when ``source`` is not a valid CEL expression."""
    _compile(source)


def evaluate(source: str, variables: Mapping[str, Any]) -> Any:
    """Evaluate ``source`` with JSON-like ``variables`` and return a plain Python value."""
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
