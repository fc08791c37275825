"""The engine's canonical JSON is byte for byte what ``jcs`` (RFC 8785) writes."""

import json

import jcs
import pytest

from sourcesync.engine.canonical_json import canonical_json

BODIES = [
    {"b": 1, "a": [1, 2, {"z": 'é\n\t"\\\x01\x1f', "y": None, "x": True, "w": False}]},
    {"event": {"name": "apps-console/sync.requested", "data": {"jobId": "j", "n": -3}}},
    {"float": 1.5, "whole float": 1.0, "tiny": 1e-7},
    {"large": 1e21, "integer beyond 2^53": 2**60, "negative": -(2**60)},
    {"emoji": "😀", "\ue000": 1, "😀": 2, "a": 3},
    {"line separator": "\u2028", "delete": "\x7f", "nested": {"": [[], {}]}},
    [],
    "text",
    9007199254740992,
]


@pytest.mark.parametrize("value", BODIES)
def test_matches_jcs(value: object) -> None:
    for body in (json.dumps(value), json.dumps(value, ensure_ascii=False, indent=2)):
        assert canonical_json(body.encode()) == jcs.canonicalize(value)


def test_not_json_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        canonical_json(b"{not json")
