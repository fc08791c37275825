"""Every error the embedded engine raises on purpose, in one place."""

from __future__ import annotations


class EngineError(Exception):
    """Base class of the engine's own errors."""


class StateLockedError(EngineError):
    """Another engine already owns the state file."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"another sourcesync engine is already using the state file {path}; "
            "stop it first, or give this one its own file with --state"
        )
        self.path = path


class StateVersionError(EngineError):
    """The state file was written by a newer engine than this one."""

    def __init__(self, path: str, found: int, supported: int) -> None:
        super().__init__(
            f"the state file {path} has schema version {found}, newer than this engine's "
            f"{supported}; upgrade sourcesync, or give this engine its own file with --state"
        )
        self.path = path


class RegistrationError(EngineError):
    """An app's function configuration cannot be accepted."""


class EventValidationError(EngineError):
    """An event sent to the event API is malformed; the message names the field."""


class ExpressionError(EngineError):
    """A CEL expression does not compile or does not evaluate."""
