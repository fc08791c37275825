"""Slack's markup rendered for readers and embeddings."""

from __future__ import annotations

from sourcesync.connectors.slack.mrkdwn import render_mrkdwn


class Names:
    def user_name(self, user_id: str) -> str:
        return {"U1": "Ada L"}.get(user_id, user_id)

    def channel_name(self, channel_id: str) -> str | None:
        return {"C1": "pricing"}.get(channel_id)


def test_mentions_links_and_entities() -> None:
    text = (
        "<@U1> and <@U9|someone> in <#C1> and <#C9|other>: <!here> <!channel> "
        "<!subteam^S1|@design> <!date^1392734382^{date}|Feb 18, 2014> "
        "<https://example.com|the spec> <https://example.com> <mailto:a@b.c|a@b.c> "
        "1 &lt; 2 &amp;&amp; 3 &gt; 2"
    )
    assert render_mrkdwn(text, Names()) == (
        "@Ada L and @U9 in #pricing and #other: @here @channel @design Feb 18, 2014 "
        "[the spec](https://example.com) https://example.com a@b.c 1 < 2 && 3 > 2"
    )
