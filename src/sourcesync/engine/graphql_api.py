"""The dev server's GraphQL API (``/v0/gql``), the subset Inngest's tools and SDK tests use."""

from __future__ import annotations

import json
from typing import Any

from graphql import build_schema, graphql

from .durations import iso_from_ms
from .enums import RunStatus
from .read_view import ReadView, memo_value, run_result

SCHEMA = build_schema(
    """
    enum FunctionRunStatus { QUEUED RUNNING COMPLETED FAILED CANCELLED }

    input EventQuery { workspaceId: ID, eventId: ID! }

    type StepError { message: String!, name: String, stack: String }

    type RunTraceSpanOutput { data: String, error: StepError }

    type RunTraceSpan {
      name: String!
      status: String!
      spanID: String!
      stepOp: String
      attempts: Int
      outputID: String
      childrenSpans: [RunTraceSpan!]!
    }

    type RunTraceTrigger {
      IDs: [ID!]!
      payloads: [String!]!
      timestamp: String
      eventName: String
      isBatch: Boolean!
    }

    type FunctionRun {
      id: ID!
      functionID: String!
      status: FunctionRunStatus!
      output: String
      startedAt: String
      finishedAt: String
      trace: RunTraceSpan
    }

    type Event {
      id: ID!
      name: String
      createdAt: String
      payload: String
      functionRuns: [FunctionRun!]!
    }

    type Query {
      run(runID: String!): FunctionRun
      runTrigger(runID: String!): RunTraceTrigger
      runTraceSpanOutputByID(outputID: String!): RunTraceSpanOutput
      event(query: EventQuery!): Event
    }
    """
)

_OUTPUT_SEPARATOR = ":"


class _Resolvers:
    def __init__(self, view: ReadView) -> None:
        self.view = view

    def run(self, _info: Any, runID: str) -> dict[str, Any] | None:
        run = self.view.run(runID)
        if run is None:
            return None
        value = run_result(run)
        children: list[dict[str, Any]] = [
            {
                "name": step.name,
                "status": step.status.upper(),
                "spanID": f"{run.id}{_OUTPUT_SEPARATOR}{step.id}",
                "stepOp": step.op,
                "attempts": step.attempts,
                "outputID": f"{run.id}{_OUTPUT_SEPARATOR}{step.id}" if step.memo else None,
                "childrenSpans": [],
            }
            for step in self.view.steps(run.id)
        ]
        status = run.status.upper()
        return {
            "id": run.id,
            "functionID": run.function_id,
            "status": status,
            "output": None if value is None else json.dumps(value),
            "startedAt": iso_from_ms(run.started_at) if run.started_at else None,
            "finishedAt": iso_from_ms(run.ended_at) if run.ended_at else None,
            "trace": {
                "name": run.function_id,
                "status": status,
                "spanID": run.id,
                "stepOp": None,
                "attempts": None,
                "outputID": f"{run.id}{_OUTPUT_SEPARATOR}" if run.ended_at else None,
                "childrenSpans": children,
            },
        }

    def runTrigger(self, _info: Any, runID: str) -> dict[str, Any] | None:
        run = self.view.run(runID)
        if run is None:
            return None
        events = self.view.run_events(run)
        return {
            "IDs": run.event_ids,
            "payloads": [json.dumps(event) for event in events],
            "timestamp": iso_from_ms(run.created_at),
            "eventName": events[0]["name"] if events else None,
            "isBatch": len(events) > 1,
        }

    def runTraceSpanOutputByID(self, _info: Any, outputID: str) -> dict[str, Any] | None:
        run_id, _, step_id = outputID.partition(_OUTPUT_SEPARATOR)
        if not step_id:
            run = self.view.run(run_id)
            if run is None:
                return None
            if run.status == RunStatus.FAILED:
                return {"data": None, "error": _error(run.error)}
            return {"data": json.dumps(run.output), "error": None}
        step = self.view.step(run_id, step_id)
        if step is None or step.memo is None:
            return None
        data, error = memo_value(step)
        if error is not None:
            return {"data": None, "error": _error(error)}
        return {"data": json.dumps(data), "error": None}

    def event(self, _info: Any, query: dict[str, Any]) -> dict[str, Any] | None:
        found = self.view.event(str(query["eventId"]))
        if found is None:
            return None
        internal_id, event, received_at = found
        runs = [self.run(None, run.id) for run in self.view.runs_for_event(internal_id)]
        return {
            "id": internal_id,
            "name": event.get("name"),
            "createdAt": iso_from_ms(received_at),
            "payload": json.dumps(event),
            "functionRuns": [run for run in runs if run is not None],
        }


def _error(error: Any) -> dict[str, Any]:
    if not isinstance(error, dict):
        return {"message": str(error), "name": "Error", "stack": None}
    return {
        "message": str(error.get("message", "")),
        "name": error.get("name"),
        "stack": error.get("stack"),
    }


async def execute(view: ReadView, query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
    """Run one GraphQL request against the engine's state."""
    result = await graphql(
        SCHEMA,
        query,
        root_value=_Resolvers(view),
        variable_values=variables,
    )
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    return body
