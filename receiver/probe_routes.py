"""Endpoints for the platform rather than for alert senders: liveness, readiness, metrics, the API document."""

import asyncio
from datetime import timedelta

import asyncpg
from aiohttp import web
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from receiver.config import ReceiverConfig
from receiver.metrics import CONTENT_TYPE, Metrics
from receiver.openapi import OPENAPI_DOCUMENT


class ProbeRoutes:
    def __init__(self, client: Client, pool: asyncpg.Pool, config: ReceiverConfig, metrics: Metrics) -> None:
        self._client = client
        self._pool = pool
        self._config = config
        self._metrics = metrics

    async def healthz(self, request: web.Request) -> web.Response:
        """The process answers: restart it if not. Says nothing about dependencies, on purpose."""
        return web.json_response({"status": "ok"})

    async def readyz(self, request: web.Request) -> web.Response:
        """Both Temporal and Postgres answer now (DESIGN section 5); 503 names the one that did not.

        Ingest itself needs only Postgres (deliveries wait in the inbox while Temporal is away), so a
        load balancer in front of receivers routes on /healthz; /readyz is for monitoring the pipeline.
        """
        timeout = self._config.probe_timeout
        temporal, postgres = await asyncio.gather(self._temporal(timeout), self._postgres(timeout))
        checks = {"temporal": temporal, "postgres": postgres}
        ready = all(value == "ok" for value in checks.values())
        failed = [name for name, value in checks.items() if value != "ok"]
        return web.json_response(
            {"status": "ready" if ready else "not ready", "checks": checks, "failed": failed},
            status=200 if ready else 503,
        )

    async def metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=self._metrics.render().encode(), headers={"Content-Type": CONTENT_TYPE})

    async def openapi(self, request: web.Request) -> web.Response:
        return web.json_response(OPENAPI_DOCUMENT)

    async def _temporal(self, timeout: timedelta) -> str:
        try:
            await asyncio.wait_for(
                self._client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=timeout),
                timeout.total_seconds() + 0.5,
            )
        except Exception as err:  # any failure means "not ready"; the text says which
            return f"unreachable: {type(err).__name__}: {str(err)[:200]}"
        return "ok"

    async def _postgres(self, timeout: timedelta) -> str:
        try:
            async with asyncio.timeout(timeout.total_seconds()):
                await self._pool.fetchval("SELECT 1")
        except Exception as err:  # any failure means "not ready"; the text says which
            return f"unreachable: {type(err).__name__}: {str(err)[:200]}"
        return "ok"
