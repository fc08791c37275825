"""The fake answers in the shapes of Slack's documentation, and the transform reads them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sourcesync.connectors.slack.models import Channel
from sourcesync.connectors.slack.transform import Workspace, thread_document
from tests.fakes.slack import FakeSlack

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "slack"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


class Names:
    def user_name(self, user_id: str) -> str:
        return {"U061F7AUR": "Marvin"}.get(user_id, user_id)

    def channel_name(self, channel_id: str) -> str | None:
        return None


def test_the_fake_answers_with_every_field_of_the_documented_examples(slack: FakeSlack) -> None:
    channel = slack.add_channel("general")
    parent = slack.post(channel, "U1", "island")
    for text in ("one island", "two island"):
        slack.post(channel, "U1", text, thread_ts=parent)
    slack.post(channel, "U1", "loose")
    for method, example, params in (
        ("conversations.history", "conversations-history-docs-example.json", {"channel": channel}),
        (
            "conversations.replies",
            "conversations-replies-docs-example.json",
            {"channel": channel, "ts": parent, "limit": "2"},
        ),
        ("conversations.list", "conversations-list-python-slack-sdk.json", {}),
    ):
        documented = fixture(example)
        status, answer, _ = slack.handle(method, params, f"Bearer {slack.token}")
        assert status == 200
        assert set(documented) <= set(answer), method
        key = "channels" if method == "conversations.list" else "messages"
        documented_item_keys = set().union(
            *(item.keys() for item in documented[key][1:] or documented[key])
        )
        answered_keys = set().union(*(item.keys() for item in answer[key]))
        # Older docs fields the connector never reads (`replies`, `last_read`, ...) aside.
        ignored = {"replies", "last_read", "unread_count", "subscribed"}
        assert documented_item_keys - answered_keys - ignored == set(), method


def test_the_documented_replies_example_becomes_a_thread_document() -> None:
    messages = fixture("conversations-replies-docs-example.json")["messages"]
    document = thread_document(
        Channel(id="C1", name="islands", private=False, member_count=3),
        messages,
        names=Names(),
        workspace=Workspace(team="T", url="https://t.slack.com/"),
        workspace_id="ws",
        source_id="src",
    )
    assert document.id == "slack:message:C1:1482960137.003543"
    lines = [line for line in document.content.splitlines() if line.startswith("**")]
    assert [line.split(": ", 1)[1] for line in lines] == [
        "island",
        "one island",
        "two island",
        "three for the land",
    ]
    assert all(line.startswith("**Marvin** (") for line in lines)
    assert document.metadata["reply_count"] == 3
