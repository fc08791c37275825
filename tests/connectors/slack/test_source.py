"""The Slack source against the fake: full and incremental listing, edits, deletions,
threads, channel-days, names, members, channel selection and validation."""

from __future__ import annotations

from typing import Any

import pytest

from sourcesync.connectors.errors import SourceConfigError
from sourcesync.connectors.slack.cursor import SlackCursor
from sourcesync.connectors.slack.ids import slack_day_id, slack_thread_id
from sourcesync.connectors.slack.source import SlackSource
from sourcesync.documents import Document
from tests.fakes.slack import FakeSlack

from .conftest import SourceFactory


def run(
    source: SlackSource, cursor: SlackCursor | None
) -> tuple[dict[str, Document], list[str], SlackCursor]:
    documents: dict[str, Document] = {}
    deleted: list[str] = []
    last = cursor
    for batch in source.changes(cursor):
        documents |= {d.id: d for d in batch.documents}
        deleted += batch.deleted_ids
        if batch.cursor is not None:
            assert isinstance(batch.cursor, SlackCursor)
            last = batch.cursor
    assert last is not None
    return documents, deleted, last


def test_a_full_sync_makes_one_document_per_thread_and_per_channel_day(
    slack: FakeSlack, workspace: dict[str, Any], make_source: SourceFactory
) -> None:
    documents, deleted, cursor = run(make_source(), None)
    general, pricing = workspace["general"], workspace["pricing"]
    threads = {slack_thread_id(general, ts) for ts in workspace["general_threads"]}
    assert threads <= set(documents)
    general_days = [name for name in documents if name.startswith(f"slack:day:{general}:")]
    assert len(general_days) == 10
    assert slack_thread_id(pricing, workspace["pricing_thread"]) in documents
    assert deleted == []
    assert set(cursor.channels) == {general, workspace["random"], pricing}
    # Channels the bot is not in are not read.
    assert not [
        d
        for d in documents.values()
        if d.metadata["channel"]["name"] in {"secret-plans", "announcements"}
    ]  # type: ignore[index]
    # 1,200 channel messages and 36 replies, every one of them in some document.
    said = "".join(d.content for d in documents.values())
    assert all(f"general chatter number {n} " in said for n in range(1200))
    # History is paged 200 at a time, with Slack's cursor.
    history = [c for c in slack.calls if c.method == "conversations.history"]
    assert {c.params["limit"] for c in history} == {"200"}
    assert any(c.params.get("cursor") for c in history)


def test_a_thread_holds_its_replies_in_order_with_display_names(
    workspace: dict[str, Any], make_source: SourceFactory
) -> None:
    documents, _, _ = run(make_source(), None)
    thread = documents[slack_thread_id(workspace["pricing"], workspace["pricing_thread"])]
    lines = [line for line in thread.content.splitlines() if line.startswith("**")]
    assert len(lines) == 61
    assert lines[0].startswith("**Ada L**") and "What did we decide" in lines[0]
    assert [
        int(line.split("pricing reply ")[1].split(":")[0])
        for line in lines[1:]
        if "pricing reply" in line
    ] == [r for r in range(60) if r != 57]
    [deep] = [line for line in lines if "gooseberry" in line]
    assert deep.startswith("**Dana Whitfield**")
    assert thread.metadata["reply_count"] == 60
    assert thread.metadata["participants"] == [
        {"id": "U0ADA", "name": "Ada L"},
        {"id": "U0DANA", "name": "Dana Whitfield"},
    ]
    assert str(thread.metadata["permalink"]).startswith(
        f"https://lighthouse.slack.com/archives/{workspace['pricing']}/p"
    )


def test_private_channels_carry_their_members_and_public_ones_are_marked_public(
    workspace: dict[str, Any], make_source: SourceFactory
) -> None:
    documents, _, _ = run(make_source(), None)
    for document in documents.values():
        channel = document.metadata["channel"]
        assert isinstance(channel, dict)
        if channel["id"] == workspace["pricing"]:
            assert document.metadata["visibility"] == "private"
            assert document.metadata["members"] == ["U0ADA", "U0DANA", "U0BOT"]
            assert channel["private"] is True
        else:
            assert document.metadata["visibility"] == "public"
            assert "members" not in document.metadata


def test_mentions_links_files_and_bots_are_rendered_and_noise_is_dropped(
    workspace: dict[str, Any], make_source: SourceFactory
) -> None:
    documents, _, _ = run(make_source(), None)
    general_days = sorted(
        (d for d in documents.values() if d.id.startswith(f"slack:day:{workspace['general']}:")),
        key=lambda d: d.id,
    )
    last_day = general_days[-1].content
    assert "see [the spec](https://example.com/specs) and ask @Ada L in #random & @here" in last_day
    assert "[file: Pricing spec](https://lighthouse.slack.com/files/F1)" in last_day
    assert "**deploybot**" in last_day and "Deploy finished" in last_day
    assert "has joined" not in general_days[0].content
    assert "**Grace Hopper**" in general_days[0].content  # no display name: the real name


def test_an_incremental_sync_without_changes_refetches_no_old_thread(
    slack: FakeSlack, workspace: dict[str, Any], make_source: SourceFactory
) -> None:
    first, _, cursor = run(make_source(), None)
    slack.calls.clear()
    documents, deleted, again = run(make_source(), cursor)
    assert again == cursor
    # Days of the window without messages are named gone (the core ignores unknown names).
    assert not set(deleted) & set(first)
    assert all(d.content_hash == first[n].content_hash for n, d in documents.items())
    # Only the lookback is read again: 7 days before the cursor, from the start of a day.
    assert all(c.params.get("oldest") for c in slack.calls if c.method == "conversations.history")
    assert all(not name.endswith(("2026-10-26", "2026-10-27")) for name in documents)
    # Threads refetched: only those active in the edit window (a day) before the cursor.
    # #pricing's and the last one of #general; the 11 older ones of #general are not.
    assert slack.count("conversations.replies") == 2


def test_an_edit_of_a_deep_reply_and_a_deleted_message_show_in_the_next_incremental_sync(
    slack: FakeSlack, workspace: dict[str, Any], make_source: SourceFactory
) -> None:
    source = make_source()
    first, _, cursor = run(source, None)
    pricing, random = workspace["pricing"], workspace["random"]
    thread_name = slack_thread_id(pricing, workspace["pricing_thread"])
    slack.tick(3600)
    slack.edit(pricing, workspace["deep_reply"], "we settled on the elderberry plan after all")
    [lunch] = [ts for ts, m in slack.messages[random].items() if m["text"] == "lunch?"]
    slack.delete(random, lunch)
    documents, deleted, _ = run(make_source(), cursor)
    assert "elderberry plan after all" in documents[thread_name].content
    assert "gooseberry" not in documents[thread_name].content
    assert (
        "(edited)" in documents[thread_name].content
        or ", edited)" in documents[thread_name].content
    )
    assert slack_day_id(random, _day_of(first, random)) in deleted
    unchanged = {
        n for n, d in documents.items() if n in first and d.content_hash == first[n].content_hash
    }
    changed = {n for n in documents if n not in unchanged}
    assert changed == {thread_name}


def _day_of(documents: dict[str, Document], channel: str) -> Any:
    from datetime import date

    [name] = [n for n in documents if n.startswith(f"slack:day:{channel}:")]
    return date.fromisoformat(name.rsplit(":", 1)[1])


def test_a_new_reply_to_a_thread_inside_the_lookback_refetches_it(
    slack: FakeSlack, workspace: dict[str, Any], make_source: SourceFactory
) -> None:
    _, _, cursor = run(make_source(), None)
    general = workspace["general"]
    old_thread = workspace["general_threads"][-3]  # posted days before the cursor
    slack.tick(600)
    slack.post(general, "U0DANA", "a late answer about the lamp wick", thread_ts=old_thread)
    documents, _, after = run(make_source(), cursor)
    assert (
        "a late answer about the lamp wick"
        in documents[slack_thread_id(general, old_thread)].content
    )
    assert float(after.channels[general]) > float(cursor.channels[general])


def test_a_thread_deleted_parent_keeps_its_replies_under_a_tombstone(
    slack: FakeSlack, workspace: dict[str, Any], make_source: SourceFactory
) -> None:
    _, _, cursor = run(make_source(), None)
    slack.tick(60)
    slack.delete(workspace["pricing"], workspace["pricing_thread"])
    documents, _, _ = run(make_source(), cursor)
    thread = documents[slack_thread_id(workspace["pricing"], workspace["pricing_thread"])]
    assert "**(deleted)** (" in thread.content and "(message deleted)" in thread.content
    assert "gooseberry" in thread.content


def test_an_archived_channel_has_its_documents_deleted(
    slack: FakeSlack, workspace: dict[str, Any], make_source: SourceFactory
) -> None:
    first, _, cursor = run(make_source(), None)
    slack.archive(workspace["random"])
    _, deleted, after = run(make_source(), cursor)
    assert [n for n in first if workspace["random"] in n] == [
        n for n in deleted if workspace["random"] in n
    ]
    assert workspace["random"] not in after.channels


def test_live_ids_list_every_document_of_a_full_sync(
    workspace: dict[str, Any], make_source: SourceFactory
) -> None:
    source = make_source()
    documents, _, _ = run(source, None)
    assert source.live_ids() == set(documents)
    assert make_source().live_ids() == set(documents)  # listed again, from history alone


def test_named_channels_only(
    slack: FakeSlack, workspace: dict[str, Any], make_source: SourceFactory
) -> None:
    documents, _, cursor = run(make_source(channels=["#pricing"]), None)
    assert set(cursor.channels) == {workspace["pricing"]}
    assert all(workspace["pricing"] in name for name in documents)
    with pytest.raises(SourceConfigError, match="#nope"):
        make_source(channels=["nope"]).validate()
    with pytest.raises(SourceConfigError, match="invite it"):
        make_source(channels=["announcements"]).validate()
    # A named channel archived later is left out of syncs (its documents go), not an error.
    slack.archive(workspace["pricing"])
    _, deleted, after = run(make_source(channels=["pricing"]), cursor)
    assert after.channels == {}
    assert set(deleted) == set(documents)


def test_validate_says_what_it_found(workspace: dict[str, Any], make_source: SourceFactory) -> None:
    assert make_source().validate() == (
        "Lighthouse Keepers: 2 public and 1 private channels the bot is in"
    )


@pytest.mark.parametrize("scope", ["channels:history", "users:read", "groups:history"])
def test_a_missing_scope_is_named(
    slack: FakeSlack, workspace: dict[str, Any], make_source: SourceFactory, scope: str
) -> None:
    slack.scopes = tuple(s for s in slack.scopes if s != scope)
    with pytest.raises(SourceConfigError, match=scope) as error:
        make_source().validate()
    assert "SOURCESYNC_TEST_SLACK_TOKEN" in str(error.value)
    if scope.startswith("groups:"):
        assert "--no-private" in str(error.value)
        assert (
            make_source(private=False)
            .validate()
            .endswith("2 public and 0 private channels the bot is in")
        )


def test_a_missing_scope_is_named_from_slack_s_error_when_headers_do_not_say(
    slack: FakeSlack, workspace: dict[str, Any], make_source: SourceFactory
) -> None:
    source = make_source()
    source.workspace()  # scopes checked while all are granted
    slack.scopes = ("channels:read", "groups:read", "users:read", "groups:history")
    with pytest.raises(SourceConfigError, match="lacks the scope channels:history"):
        list(source.changes(None))


def test_a_bad_or_missing_token_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, workspace: dict[str, Any], make_source: SourceFactory
) -> None:
    monkeypatch.setenv("SOURCESYNC_TEST_SLACK_TOKEN", "xoxb-wrong")
    with pytest.raises(
        SourceConfigError, match="rejected the token in SOURCESYNC_TEST_SLACK_TOKEN"
    ):
        make_source().validate()
    monkeypatch.delenv("SOURCESYNC_TEST_SLACK_TOKEN")
    with pytest.raises(
        SourceConfigError, match="set the environment variable SOURCESYNC_TEST_SLACK_TOKEN"
    ):
        make_source().validate()


def test_past_the_users_list_pages_authors_are_looked_up_one_by_one(
    slack: FakeSlack, workspace: dict[str, Any], make_source: SourceFactory
) -> None:
    documents, _, _ = run(make_source(page_size=2, user_list_pages=1), None)
    assert slack.count("users.list") == 1
    assert slack.count("users.info") == 1  # the third user
    thread = documents[slack_thread_id(workspace["pricing"], workspace["pricing_thread"])]
    assert "**Dana Whitfield**" in thread.content


def test_a_crash_resumes_from_the_last_stored_batch(
    slack: FakeSlack, workspace: dict[str, Any], make_source: SourceFactory
) -> None:
    expected, _, final = run(make_source(), None)
    stored: dict[str, Document] = {}
    cursor = None
    for n, batch in enumerate(make_source(batch_size=4).changes(None)):
        stored |= {d.id: d for d in batch.documents}
        cursor = batch.cursor
        if n == 2:
            break  # the process dies here; the core stored three batches and their cursor
    assert isinstance(cursor, SlackCursor)
    rest, _, resumed = run(make_source(batch_size=4), cursor)
    assert set(stored) | set(rest) == set(expected)
    assert resumed == final
