"""The web dashboard: engine pages (events, functions, runs with their steps) and sync
pages (sources, jobs with live progress and traces, search), server-rendered from Jinja2
templates with htmx (vendored in ``static/``, with its licence) for live updates.

One app, mounted on the embedded engine's port (as Inngest's dev UI is) and on the API's
(``sourcesync serve``); browsers sign in with an API token (``login_pages``).
"""

from __future__ import annotations

import inngest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from sourcesync.engine import Engine
from sourcesync.keys import dashboard_key
from sourcesync.workflows.services import Services

from .context import Dashboard
from .event_pages import event_routes
from .login_pages import login_routes
from .run_pages import run_routes
from .search_page import search_routes
from .sync_pages import sync_routes

__all__ = ["create_dashboard"]


def create_dashboard(
    services: Services, client: inngest.Inngest, engine: Engine | None
) -> Starlette:
    """The dashboard's ASGI app; ``engine`` is None when Inngest runs the workflows."""
    dashboard = Dashboard(services, client, engine, dashboard_key(services.settings.home))
    static = StaticFiles(packages=[("sourcesync.dashboard", "static")])
    return Starlette(
        routes=[
            *login_routes(dashboard),
            *sync_routes(dashboard),
            *search_routes(dashboard),
            *event_routes(dashboard),
            *run_routes(dashboard),
            Mount("/static", static, name="static"),
        ]
    )
