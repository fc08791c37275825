"""Local git repositories: any repository on disk, from any host."""

from .repository import Change, GitFile, GitRepository
from .source import GitFileSource
from .transform import git_document, git_file_id

__all__ = ["Change", "GitFile", "GitFileSource", "GitRepository", "git_document", "git_file_id"]
