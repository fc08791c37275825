"""Event names and payload models: what every function validates first."""

from __future__ import annotations

import pydantic
import pytest

from sourcesync import events


def test_every_event_of_the_flow_has_its_name() -> None:
    names = {
        events.SyncRequested.name,
        events.SyncCompleted.name,
        events.FilesBatchProcess.name,
        events.FilesBatchCompleted.name,
        events.DocsBatchTrigger.name,
        events.DocsBatchCompleted.name,
        events.DocumentsProcess.name,
        events.SourceConnected.name,
    }
    assert names == {
        "apps-console/sync.requested",
        "apps-console/sync.completed",
        "apps-console/files.batch.process",
        "apps-console/files.batch.completed",
        "apps-console/docs.batch.trigger",
        "apps-console/docs.batch.completed",
        "apps-console/documents.process",
        "apps-console/source.connected",
    }
    assert events.SourceSyncTrigger.name_for("github") == "apps-console/github.sync.trigger"
    assert events.SourceSyncCompleted.name_for("github") == "apps-console/github.sync.completed"
    assert events.SchedulesCheck.name == "apps-console/schedules.check"


def test_payloads_are_camel_case_on_the_wire() -> None:
    request = events.SyncRequested(workspace_id="w", source_id="s", source_type="git", job_id="j")
    assert request.to_data() == {
        "workspaceId": "w",
        "sourceId": "s",
        "sourceType": "git",
        "mode": "incremental",
        "trigger": "api",
        "jobId": "j",
    }
    assert events.SyncRequested.model_validate(request.to_data()) == request


def test_the_validation_message_names_every_bad_field() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        events.SyncRequested.model_validate({"sourceId": "", "sourceType": "SVN!", "extra": 1})
    message = events.validation_message(caught.value)
    for field in ("workspaceId", "sourceId", "sourceType", "extra"):
        assert field in message


def test_documents_process_takes_at_most_50_documents() -> None:
    ids = [f"d{i}" for i in range(51)]
    with pytest.raises(pydantic.ValidationError):
        events.DocumentsProcess(job_id="j", workspace_id="w", namespace="n", document_ids=ids)


def test_workflow_outputs_are_a_union_discriminated_by_function() -> None:
    adapter: pydantic.TypeAdapter[events.WorkflowOutput] = pydantic.TypeAdapter(
        events.WorkflowOutput
    )
    parsed = adapter.validate_python(
        {
            "function": "files-batch-processor",
            "processed": 1,
            "failed": 0,
            "skipped": 2,
            "deleted": 0,
        }
    )
    assert isinstance(parsed, events.FilesBatchProcessed)
    with pytest.raises(pydantic.ValidationError):
        adapter.validate_python({"function": "nope"})
