"""GitHub repositories: listing, incremental changes, raw content and push webhooks.

``GitHubFileSource`` is the ``FileSource`` the workflows drive; ``GitHubClient`` carries
the hosts and the credentials (``PersonalToken`` or ``GitHubApp``).
"""

from .auth import GitHubApp, PersonalToken
from .client import GitHubAuth, GitHubClient, parse_repository
from .compare import Comparison, compare_commits
from .content import download_files
from .errors import GitHubNotFoundError
from .source import GitHubFileSource
from .transform import github_document, github_file_id
from .tree import TreeFile, files_at, list_files
from .webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    PushEvent,
    WebhookPayloadError,
    parse_push_event,
    verify_signature,
)

__all__ = [
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "SIGNATURE_HEADER",
    "Comparison",
    "GitHubApp",
    "GitHubAuth",
    "GitHubClient",
    "GitHubFileSource",
    "GitHubNotFoundError",
    "PersonalToken",
    "PushEvent",
    "TreeFile",
    "WebhookPayloadError",
    "compare_commits",
    "download_files",
    "files_at",
    "github_document",
    "github_file_id",
    "list_files",
    "parse_push_event",
    "parse_repository",
    "verify_signature",
]
