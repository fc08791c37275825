"""Which namespace a workspace's vectors of one embedding model live in."""

import re

__all__ = ["namespace_for"]


def namespace_for(workspace_id: str, model_name: str) -> str:
    """One namespace per workspace and embedding model: vectors of two models never mix."""
    model = re.sub(r"[^a-z0-9]+", "-", model_name.lower()).strip("-")
    return f"{workspace_id}-{model}"
