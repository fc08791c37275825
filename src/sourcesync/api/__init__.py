"""The HTTP face of sourcesync."""

from .app import create_app

__all__ = ["create_app"]
