"""Where the next incremental sync of a Slack source starts: the cursor the core stores."""

from __future__ import annotations

from pydantic import Field

from ..spec import SourceCursor


class SlackCursor(SourceCursor):
    """Per channel id, the timestamp of the newest activity (message or reply) stored."""

    channels: dict[str, str] = Field(default_factory=dict)
