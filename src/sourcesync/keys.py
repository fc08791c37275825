"""The embedded engine's keys: an event key for ``POST /e/{key}`` and a signing key for
every other engine API and for the engine's calls to ``/api/inngest``.

``INNGEST_EVENT_KEY`` and ``INNGEST_SIGNING_KEY`` win when set (as with Inngest itself);
otherwise each is made on first use in ``SOURCESYNC_HOME`` (mode 0600) and read from there
by every later process, so the CLI finds them on its own.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

EVENT_KEY_FILE = "event-key"
SIGNING_KEY_FILE = "signing-key"
DASHBOARD_KEY_FILE = "dashboard-key"


@dataclass(frozen=True)
class EngineKeys:
    event_key: str = field(repr=False)
    signing_key: str = field(repr=False)


def _read_or_make(path: Path, make: str) -> str:
    try:
        existing = path.read_text().strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()  # another process made it first
    with os.fdopen(descriptor, "w") as handle:
        handle.write(make + "\n")
    return make


def engine_keys(home: Path) -> EngineKeys:
    """The keys in force for the engine of ``home``."""
    return EngineKeys(
        event_key=os.environ.get("INNGEST_EVENT_KEY")
        or _read_or_make(home / EVENT_KEY_FILE, secrets.token_hex(32)),
        signing_key=os.environ.get("INNGEST_SIGNING_KEY")
        or _read_or_make(home / SIGNING_KEY_FILE, "signkey-prod-" + secrets.token_hex(32)),
    )


def dashboard_key(home: Path) -> bytes:
    """The key that signs the dashboard's session cookies and one-time login links of
    ``home`` (made on first use, mode 0600): every process on the home shares it."""
    return bytes.fromhex(_read_or_make(home / DASHBOARD_KEY_FILE, secrets.token_hex(32)))
