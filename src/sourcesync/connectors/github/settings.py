"""Constants of the GitHub connector: default hosts, protocol headers and GitHub's limits."""

from __future__ import annotations

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_RAW_URL = "https://raw.githubusercontent.com"
DEFAULT_WEB_URL = "https://github.com"

API_VERSION = "2022-11-28"
API_ACCEPT = "application/vnd.github+json"
USER_AGENT = "sourcesync"

REQUEST_TIMEOUT_S = 30.0
FETCH_CONCURRENCY = 4
"""Parallel raw downloads (and pooled connections) per client, so per files batch.

With 10 batches at a time per workspace that is 40 downloads in flight, enough to hide
GitHub's latency; more threads only contend for the interpreter lock (measured with
8: about 20% more CPU per download).
"""

COMPARE_FILES_CAP = 300
"""The Compare API lists at most this many changed files; a full list may be cut."""

APP_JWT_LIFETIME_S = 540
"""GitHub accepts app JWTs that expire at most 10 minutes after they were issued."""
APP_JWT_BACKDATE_S = 60
"""Issue JWTs a minute in the past, so a clock slightly ahead of GitHub's is accepted."""
TOKEN_REFRESH_MARGIN_S = 300
"""Mint a new installation token this long before the cached one expires."""

MIN_RETRY_AFTER_S = 1.0
