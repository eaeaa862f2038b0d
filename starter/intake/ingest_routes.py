"""The two ingest endpoints: Alertmanager's webhook and the PagerDuty-compatible events API.

Each handler checks, in order: credential, JSON, size, shape, agreement; then commits its
delivery to the inbox and answers 2xx only once the row is committed (the forwarder
takes it to Temporal). Anything that stops short of that is a Refusal.
"""

from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

import asyncpg
import structlog
from aiohttp import web
from pydantic import BaseModel

from domain.status import Maintenance
from receiver.config import DATABASE_ERRORS, ReceiverConfig
from receiver.database import bounded
from receiver.metrics import Metrics
from receiver.refusals import is_data_error, malformed, not_in_catalog, unauthorized, unavailable, unstorable
from receiver.request_guards import check_bearer, check_json, read_body
from starter.intake import alertmanager, events_api
from starter.intake.coalescer import CoalescerClosed
from starter.intake.deliveries import Delivery, stable_id
from starter.intake.inbox import Inbox, InboxRefused, InboxUnavailable
from starter.intake.maintenance import MaintenanceUnavailable, MaintenanceWindows
from starter.intake.payloads import AlertmanagerWebhook, MalformedBody, PagerDutyEvent, parse_body
from starter.intake.rejections import RejectionNotRecorded, record_rejection
from starter.intake.service_directory import CatalogService, CatalogUnavailable, ServiceDirectory
from stores.maintenance import attach

log = structlog.get_logger("receiver")
Model = TypeVar("Model", bound=BaseModel)

ALERTMANAGER = "alertmanager"  # endpoint names: metrics labels and rejected_events.source
EVENTS_API = "events_api"


class IngestRoutes:
    def __init__(
        self, pool: asyncpg.Pool, directory: ServiceDirectory, inbox: Inbox, config: ReceiverConfig, metrics: Metrics
    ) -> None:
        self._pool = pool
        self._directory = directory
        self._inbox = inbox
        self._config = config
        self._metrics = metrics
        self._maintenance = MaintenanceWindows(pool, config.database_timeout.total_seconds())

    async def alertmanager(self, request: web.Request) -> web.Response:
        check_bearer(request, self._config.ingest_token)  # before reading anything an outsider sent
        webhook, raw = await self._parse(request, AlertmanagerWebhook)
        choice = alertmanager.choose_service(webhook, self._config.service_label)
        service = await self._lookup(choice.name)
        if service is None or not service.agreed:
            reason = choice.why_none or _outside(choice.name, service)
            await self._reject(alertmanager.rejection_key(webhook), ALERTMANAGER, choice.name, reason, raw)
        delivery = alertmanager.delivery_from_webhook(webhook, service.name, self._config, _now())
        window = await self._in_maintenance(service.name)
        if window is not None:
            return await self._attach(window, delivery, ALERTMANAGER, raw)
        await self._feed(delivery, ALERTMANAGER)
        return web.json_response(
            {
                "status": "success",
                "message": "Event processed",
                "result": "queued",
                "route": delivery.route,
                "alerts": len(delivery.events),
            },
            status=202,
        )

    async def enqueue(self, request: web.Request) -> web.Response:
        event, raw = await self._parse(request, PagerDutyEvent)
        service = await self._by_key(event.routing_key)
        if service is None:  # the routing key is the credential (DESIGN section 5)
            raise unauthorized("Invalid routing key", bearer=False)
        dedup_key = event.dedup_key or events_api.new_dedup_key()
        if not service.agreed:
            key = stable_id(events_api.event_route(event.routing_key, dedup_key), event.event_action)
            await self._reject(
                key, EVENTS_API, service.name, _outside(service.name, service), {**raw, "routing_key": "<redacted>"}
            )
        delivery = events_api.delivery_from_event(event, dedup_key, service.name, _now())
        window = await self._in_maintenance(service.name)
        if window is not None:
            return await self._attach(
                window, delivery, EVENTS_API, {**raw, "routing_key": "<redacted>"}, dedup_key=dedup_key
            )
        await self._feed(delivery, EVENTS_API)
        # PagerDuty's answer, word for word: senders built for PagerDuty parse it
        return web.json_response(
            {"status": "success", "message": "Event processed", "dedup_key": dedup_key}, status=202
        )

    # -- steps shared by both endpoints ----------------------------------------------------

    async def _parse(self, request: web.Request, model: type[Model]) -> tuple[Model, Any]:
        check_json(request)
        body = await read_body(request, self._config.max_body_bytes)
        try:
            return parse_body(model, body)
        except MalformedBody as err:
            raise malformed(err.errors) from None

    async def _lookup(self, name: str | None) -> CatalogService | None:
        return None if name is None else await self._in_catalog(self._directory.by_name(name))

    async def _by_key(self, key: str) -> CatalogService | None:
        return await self._in_catalog(self._directory.by_integration_key(key))

    async def _in_catalog(self, lookup: Awaitable[CatalogService | None]) -> CatalogService | None:
        """A catalog that cannot be read is a 503: the sender retries, nothing is lost."""
        try:
            return await lookup
        except CatalogUnavailable as err:
            raise unavailable(str(err), self._config.retry_after_seconds) from None

    async def _reject(self, dedup_key: str, source: str, service: str | None, reason: str, payload: Any) -> NoReturn:
        """Record, then refuse with 422. If the record cannot be written, 503: never drop silently."""
        try:
            await record_rejection(
                self._pool,
                dedup_key=dedup_key,
                source=source,
                service=service,
                reason=reason,
                payload=payload,
                timeout=self._config.database_timeout,
            )
        except RejectionNotRecorded as err:
            if err.__cause__ is not None and is_data_error(err.__cause__):
                raise unstorable(err.__cause__) from None
            log.warning("rejected event not recorded", endpoint=source, service=service, error=str(err))
            raise unavailable("the rejected event could not be recorded", self._config.retry_after_seconds) from None
        log.info("event rejected", endpoint=source, service=service, reason=reason, dedup_key=dedup_key)
        raise not_in_catalog(f"{reason}: no incident opened; the event is recorded as rejected", service)

    async def _in_maintenance(self, service: str) -> Maintenance | None:
        try:
            return await self._maintenance.active(service)
        except MaintenanceUnavailable as err:
            raise unavailable(str(err), self._config.retry_after_seconds) from None

    async def _attach(
        self, window: Maintenance, delivery: Delivery, endpoint: str, payload: Any, **extra: str
    ) -> web.Response:
        """Inside an announced maintenance window: recorded against the window, no incident opened."""
        seconds = self._config.database_timeout.total_seconds()
        try:
            async with bounded(self._pool, seconds) as conn:
                await attach(conn, window.id, endpoint, delivery.route, len(delivery.events), payload, seconds)
        except DATABASE_ERRORS as err:
            if is_data_error(err):
                raise unstorable(err) from None
            log.warning("maintenance event not recorded", endpoint=endpoint, error=str(err))
            raise unavailable("the event could not be recorded", self._config.retry_after_seconds) from None
        self._metrics.accept(endpoint, len(delivery.events))
        log.info("event inside maintenance", endpoint=endpoint, service=window.service, maintenance=window.id)
        return web.json_response(
            {
                "status": "success",
                "message": "Event processed",
                "result": "maintenance",
                "maintenance": window.id,
                **extra,
            },
            status=202,
        )

    async def _feed(self, delivery: Delivery, endpoint: str) -> None:
        try:
            await self._inbox.put(delivery)
        except InboxRefused as err:
            log.info(
                "inbox refused a delivery it cannot store", endpoint=endpoint, route=delivery.route, error=str(err)
            )
            raise unstorable(err) from None
        except InboxUnavailable as err:
            log.warning("inbox did not take events", endpoint=endpoint, route=delivery.route, error=str(err))
            raise unavailable("the inbox (Postgres) cannot take events now", self._config.retry_after_seconds) from None
        except CoalescerClosed:
            raise unavailable("the receiver is shutting down", self._config.retry_after_seconds) from None
        self._metrics.accept(endpoint, len(delivery.events))


def _outside(name: str | None, service: CatalogService | None) -> str:
    if service is not None and not service.agreed:
        return f"service {name!r} was withdrawn from the agreed catalog"
    return f"service {name!r} is not in the agreed catalog"


def _now() -> datetime:
    return datetime.now(UTC)
