"""Fields and field comparisons are answered without CEL, with CEL's results."""

from typing import Any

import pytest

from sourcesync.engine import expressions
from sourcesync.engine.errors import ExpressionError

EVENT = {
    "name": "apps-console/files.batch.process",
    "data": {
        "workspaceId": "ws-1",
        "jobId": "job-1",
        "count": 3,
        "ratio": 0.5,
        "flag": True,
        "nothing": None,
        "nested": {"b": [1, {"c": "d"}], "a": 1},
        "items": ["x", "y"],
    },
}
VARIABLES = {"event": EVENT, "async": {"name": "x", "data": {"jobId": "job-1", "count": 3.0}}}

EXPRESSIONS = [
    "event.data.workspaceId",
    " event.data.count ",
    "event.data.ratio",
    "event.data.flag",
    "event.data.nothing",
    "event.data.nested",
    "event.data.items",
    "event.data.missing",
    "event.data.items.first",
    "event.missing.deeper",
    "event.data.jobId == async.data.jobId",
    "event.data.workspaceId == async.data.jobId",
    "event.data.count == async.data.count",
    "event.data.jobId == async.data.missing",
    "event.data.workspaceId + '-' + event.data.jobId",
]


def outcome(evaluate: Any, source: str) -> Any:
    try:
        return ("value", evaluate(source, VARIABLES))
    except ExpressionError:
        return ("error",)


@pytest.mark.parametrize("source", EXPRESSIONS)
def test_same_answer_as_cel(source: str) -> None:
    direct = outcome(expressions.evaluate, source)
    assert direct == outcome(expressions._evaluate_with_cel, source)
    if direct[0] == "value":
        assert type(direct[1]) is type(expressions._evaluate_with_cel(source, VARIABLES))


def test_an_invalid_expression_fails_as_before() -> None:
    with pytest.raises(ExpressionError, match="invalid expression"):
        expressions.evaluate("event.data.jobId ==", VARIABLES)
    assert expressions.evaluate_key("event.data.count", VARIABLES) == "3"
    assert expressions.matches("event.data.jobId == async.data.jobId", VARIABLES)
