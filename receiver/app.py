"""build_app: the receiver's routes, wired to one Temporal client and one Postgres pool.

Ingest commits each delivery to the Postgres inbox (starter/intake/inbox.py) and answers; the inbox
forwarder (starter/intake/forwarder.py), a background task of the same app, hands the rows to Temporal.
`python -m receiver` serves it; tests build it in-process on a loopback port.
"""

import time
from collections.abc import Awaitable, Callable

import asyncpg
import structlog
from aiohttp import web
from temporalio.client import Client

from pages.acknowledgement import AcknowledgementRoutes
from pages.calendars import CalendarRoutes
from pages.status.board import StatusBoard
from pages.status.routes import StatusRoutes
from receiver.config import ReceiverConfig
from receiver.metrics import Metrics
from receiver.probe_routes import ProbeRoutes
from receiver.refusals import Refusal
from receiver.releases.routes import CHANGES, KNOWN_ERRORS, ReleaseRoutes
from receiver.safe_errors import exception_fields
from starter.intake.forwarder import InboxForwarder
from starter.intake.inbox import Inbox, channel_of
from starter.intake.ingest_routes import ALERTMANAGER, EVENTS_API, IngestRoutes
from starter.intake.service_directory import ServiceDirectory
from starter.intake.temporal_feed import TemporalFeed
from stores.alert_routes import AlertRoutes

log = structlog.get_logger("receiver")

METRICS_KEY = web.AppKey("metrics", Metrics)
FORWARDER_KEY = web.AppKey("forwarder", InboxForwarder)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_app(
    client: Client,
    pool: asyncpg.Pool,
    config: ReceiverConfig,
    intake_pool: asyncpg.Pool | None = None,
    routes_pool: asyncpg.Pool | None = None,
) -> web.Application:
    """`intake_pool`: the answer path's own connections (receiver.database.open_intake_pool); `routes_pool`:
    the forwarder's route statements' (open_routes_pool); None: `pool`."""
    intake = intake_pool or pool
    metrics = Metrics()
    channel = channel_of(client, config)
    routes = AlertRoutes(routes_pool or pool, channel, config.database_timeout.total_seconds())
    forwarder = InboxForwarder(pool, channel, TemporalFeed(client, routes, config, metrics), config, metrics)
    inbox = Inbox(intake, channel, config, on_commit=forwarder.wake)
    directory = ServiceDirectory(intake, config)
    ingest = IngestRoutes(intake, directory, inbox, config, metrics)
    releases = ReleaseRoutes(client, pool, directory, config)
    probes = ProbeRoutes(client, pool, config, metrics)
    acknowledgements = AcknowledgementRoutes(client, pool, config)
    calendars = CalendarRoutes(pool)

    # client_max_size: ingest handlers stream the body under their own 512 KB limit; this only
    # bounds what aiohttp itself would buffer for any other route.
    app = web.Application(middlewares=[_answer_middleware(metrics)], client_max_size=config.max_body_bytes)
    app[METRICS_KEY] = metrics
    app[FORWARDER_KEY] = forwarder
    app.router.add_post("/v1/alerts/alertmanager", ingest.alertmanager, name=ALERTMANAGER)
    app.router.add_post("/v2/enqueue", ingest.enqueue, name=EVENTS_API)
    app.router.add_post("/v2/change/enqueue", releases.change, name=CHANGES)
    app.router.add_post("/v1/known-errors", releases.known_errors, name=KNOWN_ERRORS)
    app.router.add_get("/healthz", probes.healthz)
    app.router.add_get("/readyz", probes.readyz)
    app.router.add_get("/metrics", probes.metrics)
    app.router.add_get("/openapi.json", probes.openapi)
    app.router.add_get("/v1/pages/{token}", acknowledgements.confirm)
    app.router.add_get("/v1/pages/{token}/ack", acknowledgements.confirm)  # the link as clicked: the page, never an ack
    app.router.add_post("/v1/pages/{token}/ack", acknowledgements.acknowledge)
    app.router.add_get("/v1/oncall/{schedule}.ics", calendars.calendar)
    StatusRoutes(StatusBoard(pool, config.database_timeout.total_seconds()), config.public_url).add_to(app)

    async def start_forwarding(app: web.Application) -> None:
        forwarder.start()

    async def finish_in_flight(app: web.Application) -> None:
        # on_cleanup runs after aiohttp stopped listening and waited for the handlers, so no
        # request is refused here; this waits for inserts in flight, then the forwarder's pass.
        await inbox.close()
        await forwarder.stop()

    app.on_startup.append(start_forwarding)
    app.on_cleanup.append(finish_in_flight)
    return app


def _answer_middleware(metrics: Metrics) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    @web.middleware
    async def answer(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Turn refusals into JSON answers, count them, time the ingest endpoints, log one line each."""
        endpoint = request.match_info.route.name
        started = time.perf_counter()
        try:
            response = await handler(request)
        except Refusal as refusal:
            response = refusal.response()
            if endpoint:
                metrics.refuse(endpoint, refusal.reason)
        except web.HTTPException:
            raise  # aiohttp's own 404/405
        except Exception as err:
            log.error("request failed", endpoint=endpoint, path=request.path, **exception_fields(err))
            response = Refusal(500, "internal_error", "internal error; see the receiver's log").response()
            if endpoint:
                metrics.refuse(endpoint, "internal_error")
        if endpoint:  # only the ingest routes are named
            elapsed = time.perf_counter() - started
            metrics.answered(endpoint, elapsed)
            # no headers, no body, no routing key: they carry credentials
            log.info("answered", endpoint=endpoint, status=response.status, ms=round(elapsed * 1000, 1))
        return response

    return answer
