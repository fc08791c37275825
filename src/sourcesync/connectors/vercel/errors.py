"""The errors Vercel's connector adds to the shared connector errors."""

from __future__ import annotations

from ..errors import SourceConfigError

__all__ = ["VercelNotFoundError"]


class VercelNotFoundError(SourceConfigError):
    """Vercel answered 404: the team, project or deployment is absent or hidden."""
