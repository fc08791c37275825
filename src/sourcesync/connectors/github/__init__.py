"""GitHub repositories: listing, incremental changes, raw content and push webhooks.

``GitHubFileSource`` is the ``FileSource`` the workflows drive; ``GitHubClient`` carries
the hosts and the credentials (``PersonalToken`` or ``GitHubApp``).

The package imports nothing: the core reads `spec` (through the registry) and loads the
clients only when it opens a source, so commands that open none start fast.
"""
