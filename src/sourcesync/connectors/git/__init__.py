"""Local git repositories: any repository on disk, from any host.

The package imports nothing: the core reads `spec` (through the registry) and loads the
clients only when it opens a source, so commands that open none start fast.
"""
