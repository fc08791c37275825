"""Slack: threads and channel-days, with authors and mentions by name, as documents.

`SlackSource` lists channels and their history (full and incremental), `SlackClient`
speaks to Slack's Web API through the official `slack_sdk` with a rate limiter per token,
and `webhooks` verifies and reads Events API requests.
"""

from .client import SlackClient
from .errors import SlackAPIError, SlackChannelGoneError
from .ids import slack_day_id, slack_thread_id
from .mrkdwn import render_mrkdwn
from .settings import DEFAULT_TOKEN_ENV, SLACK_API_URL, SlackSettings
from .source import SlackCursor, SlackSource
from .transform import Workspace, day_document, thread_document
from .webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, SlackEvent, sign, verify_signature

__all__ = [
    "DEFAULT_TOKEN_ENV",
    "SIGNATURE_HEADER",
    "SLACK_API_URL",
    "TIMESTAMP_HEADER",
    "SlackAPIError",
    "SlackChannelGoneError",
    "SlackClient",
    "SlackCursor",
    "SlackEvent",
    "SlackSettings",
    "SlackSource",
    "Workspace",
    "day_document",
    "render_mrkdwn",
    "sign",
    "slack_day_id",
    "slack_thread_id",
    "thread_document",
    "verify_signature",
]
