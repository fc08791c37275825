"""Slack's message markup (`mrkdwn`) as plain Markdown a reader and an embedder understand:
mentions become names, links keep their label and address, entities are unescaped.

Slack escapes `&`, `<` and `>` in text and writes every special token inside `<...>`
(https://docs.slack.dev/messaging/formatting-message-text): `<@U123>` a user,
`<#C123|name>` a channel, `<!here>` a broadcast, `<!subteam^S123|@team>` a user group,
`<!date^...|fallback>` a date, `<https://...|label>` a link.
"""

from __future__ import annotations

import re
from typing import Protocol

__all__ = ["Names", "render_mrkdwn"]

_TOKEN = re.compile(r"<([^<>\n]+)>")
_BROADCASTS = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}


class Names(Protocol):
    """Who and what ids stand for, as known to the sync."""

    def user_name(self, user_id: str) -> str: ...

    def channel_name(self, channel_id: str) -> str | None: ...


def render_mrkdwn(text: str, names: Names) -> str:
    """`text` with every `<...>` token rendered and `&amp;`, `&lt;`, `&gt;` unescaped."""

    def token(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return "@" + names.user_name(target[1:])
        if target.startswith("#"):
            name = names.channel_name(target[1:]) or label or target[1:]
            return "#" + name
        if target.startswith("!"):
            command = target[1:]
            if command in _BROADCASTS:
                return _BROADCASTS[command]
            if command.startswith("subteam^"):
                return label or "@group"
            return label or f"@{command.split('^', 1)[0]}"
        url = target
        if label and label != url and not url.startswith("mailto:"):
            return f"[{label}]({url})"
        return label if url.startswith("mailto:") and label else url

    rendered = _TOKEN.sub(token, text)
    return rendered.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
