"""The one error GitHub's connector adds to the shared connector errors."""

from __future__ import annotations

from ..errors import SourceConfigError


class GitHubNotFoundError(SourceConfigError):
    """GitHub answered 404: the repository, branch, commit or file is absent or hidden."""
