"""Slack: threads and channel-days, with authors and mentions by name, as documents.

`SlackSource` lists channels and their history (full and incremental), `SlackClient`
speaks to Slack's Web API through the official `slack_sdk` with a rate limiter per token,
and `webhooks` verifies and reads Events API requests.

The package imports nothing: the core reads `spec` (through the registry) and loads the
clients only when it opens a source, so commands that open none start fast.
"""
