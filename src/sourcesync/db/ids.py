"""Ids for rows created by sourcesync: a readable prefix and a random part."""

from __future__ import annotations

import uuid


def new_id(prefix: str) -> str:
    """Return a new unique id such as ``job_0f8fad5bd9cb469fa16570867728950e``."""
    return f"{prefix}_{uuid.uuid4().hex}"
