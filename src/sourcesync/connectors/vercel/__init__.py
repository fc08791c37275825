"""The Vercel source: deployments with build logs, projects with env var names and build
performance (``spec.py`` is what the core reads)."""

from .ids import vercel_build_log_id, vercel_deployment_id, vercel_project_id

__all__ = ["vercel_build_log_id", "vercel_deployment_id", "vercel_project_id"]
