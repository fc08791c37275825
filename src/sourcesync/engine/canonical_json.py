"""RFC 8785 (JCS) canonical JSON of a request body, the form call signatures are made over.

The SDK verifies ``X-Inngest-Signature`` over the canonical form of the body it receives, so
the engine signs that form too, once per call. ``jcs`` builds it in pure Python, a
character at a time; for the bodies the engine sends (strings, small integers, objects)
the standard library's C encoder writes the same bytes many times faster:

- JCS sorts keys by UTF-16 code units and ``sort_keys`` by code points: the orders agree
  unless a key holds a character outside the Basic Multilingual Plane;
- JCS writes numbers as ECMAScript does: an integer within ±2^53 is its decimal digits,
  as Python writes it; floats and larger integers differ (``1.0``, ``1e+21``);
- both escape ``"``, ``\\`` and control characters alike, and nothing else.

A body with a float, a larger integer or a character beyond the BMP goes through ``jcs``.
"""

from __future__ import annotations

import json
import re

import jcs

_EXACT_INTEGER = 2**53
_BEYOND_BMP = re.compile("[\U00010000-\U0010ffff\ud800-\udfff]")


class _Exotic(Exception):
    """The body holds a value whose canonical form only ``jcs`` writes."""


def _refuse_float(text: str) -> float:
    raise _Exotic(text)


def _integer(text: str) -> int:
    value = int(text)
    if -_EXACT_INTEGER <= value <= _EXACT_INTEGER:
        return value
    raise _Exotic(text)


def canonical_json(body: bytes) -> bytes:
    """The canonical form of the JSON ``body`` (``ValueError`` when it is not JSON)."""
    try:
        value = json.loads(body, parse_float=_refuse_float, parse_int=_integer)
    except _Exotic:
        return bytes(jcs.canonicalize(json.loads(body)))
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if _BEYOND_BMP.search(text):
        return bytes(jcs.canonicalize(value))
    return text.encode()
