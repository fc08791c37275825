"""Names of Vercel documents within their source."""

from __future__ import annotations

from sourcesync.documents import readable_id

__all__ = ["vercel_build_log_id", "vercel_deployment_id", "vercel_project_id"]


def vercel_deployment_id(uid: str) -> str:
    """``vercel:deployment:{uid}``: one deployment."""
    return readable_id("vercel", "deployment", uid)


def vercel_build_log_id(uid: str) -> str:
    """``vercel:build-log:{uid}``: the build log of one deployment."""
    return readable_id("vercel", "build-log", uid)


def vercel_project_id(project_id: str) -> str:
    """``vercel:project:{id}``: one project with its env var names and build statistics."""
    return readable_id("vercel", "project", project_id)
