"""The engineers' API as a FastAPI application: its routers, one error shape (api/problems.py), and the
OpenAPI document FastAPI generates from the routes' pydantic models (GET /v1/openapi.json, docs at
/v1/docs). What the routes need (Temporal, the record, who is asking) is `app.state.deps`."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import asyncpg
from fastapi import FastAPI
from temporalio.client import Client

from api import problems
from api.routes import audit, configuration, identity, incidents, oncall
from runtime.settings import Settings

if TYPE_CHECKING:
    from operations.incidents import Backends

TITLE = "Incident pipeline API"
VERSION = "1"


@dataclass(frozen=True)
class ApiDependencies:
    settings: Settings
    client: Client  # lazy: the API starts while Temporal is away, and says 503 for what needs it
    pool: asyncpg.Pool  # opens connections on demand, likewise
    authenticator: Any  # api.identity.Authenticator: a bearer token to a principal

    def backends(self) -> "Backends":
        from operations.incidents import Backends

        return Backends(self.client, self.pool, self.settings.task_queue, self.settings.database_url)


def create_app(deps: ApiDependencies) -> FastAPI:
    app = FastAPI(
        title=TITLE,
        version=VERSION,
        description="Incidents, on call, the catalog and the audit trail, for people and tools. Every error is"
        " an RFC 9457 problem (application/problem+json); lists are paginated with `limit` and `cursor`.",
        openapi_url="/v1/openapi.json",
        docs_url="/v1/docs",
        redoc_url=None,
        responses=problems.PROBLEM_RESPONSES,
    )
    app.state.deps = deps
    problems.install(app)
    problems.install_database_outage(app, deps.settings.database_url)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for module in (incidents, oncall, configuration, identity, audit):  # configuration brings known_errors'
        app.include_router(module.router)
    return app
