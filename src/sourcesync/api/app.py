"""The sourcesync HTTP app: ``/api/inngest`` for the workflow runtime, the REST API (bearer
tokens, one workspace each) and the webhooks (each verified by its source's signature)."""

from __future__ import annotations

import inngest
import inngest.fast_api
from fastapi import FastAPI

from sourcesync.workflows.functions import create_functions
from sourcesync.workflows.services import Services

from .health import create_health_router
from .limits import RequestLimits
from .rest import create_rest_router
from .sources import create_sources_router
from .webhooks import create_webhook_router


def create_app(services: Services, client: inngest.Inngest) -> FastAPI:
    """The app, with the workflow functions served at ``/api/inngest``."""
    app = FastAPI(title="sourcesync", version="0.1.0")
    inngest.fast_api.serve(app, client, create_functions(client, services))
    app.include_router(create_webhook_router(services, client))
    app.include_router(create_rest_router(services, client))
    app.include_router(create_sources_router(services, client))
    app.include_router(create_health_router(services, client.api_origin))
    app.add_middleware(RequestLimits)
    return app
