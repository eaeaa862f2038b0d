"""Release management's endpoints: change events (PagerDuty Change Events API v2) and known errors.

Both answer 2xx only once what they were sent is committed to Postgres, as the ingest endpoints do.
A change event's routing key is its credential (as PagerDuty's); known errors need the release
pipeline's bearer token (INCIDENT_RELEASE_TOKEN), since a known error stops incidents from opening.
"""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, TypeVar

import asyncpg
import structlog
from aiohttp import web
from pydantic import BaseModel
from temporalio.client import Client

from receiver.config import DATABASE_ERRORS, ReceiverConfig
from receiver.refusals import Refusal, is_data_error, malformed, unauthorized, unavailable, unstorable
from receiver.releases.payloads import ChangeEvent, KnownErrorRelease
from receiver.request_guards import check_bearer, check_json, read_body
from starter.intake.payloads import MalformedBody, parse_body
from starter.intake.service_directory import CatalogUnavailable, ServiceDirectory
from starter.known_error_publishing import NotOfferedYet, publish
from stores import changes
from stores.known_errors import KnownErrorRefused

log = structlog.get_logger("receiver")
Model = TypeVar("Model", bound=BaseModel)

CHANGES = "change_events"  # endpoint names: metrics labels
KNOWN_ERRORS = "known_errors"


class ReleaseRoutes:
    def __init__(self, client: Client, pool: asyncpg.Pool, directory: ServiceDirectory, config: ReceiverConfig) -> None:
        self._client = client
        self._pool = pool
        self._directory = directory
        self._config = config

    async def change(self, request: web.Request) -> web.Response:
        event = await self._parse(request, ChangeEvent)
        try:
            service = await self._directory.by_integration_key(event.routing_key)
        except CatalogUnavailable as err:
            raise unavailable(str(err), self._config.retry_after_seconds) from None
        if service is None:
            raise unauthorized("Invalid routing key", bearer=False)
        at = datetime.fromisoformat(event.payload.timestamp) if event.payload.timestamp else datetime.now(UTC)
        details = json.dumps(event.payload.custom_details)
        links = json.dumps([link.model_dump() for link in event.links])
        # a sender's retry of the same change (same time, text and details) is stored once
        key = hashlib.sha256(
            "\n".join([service.name, at.isoformat(), event.payload.summary, event.payload.source, details]).encode()
        ).hexdigest()
        try:
            await changes.add(
                self._pool,
                event_key=key,
                service=service.name,
                summary=event.payload.summary,
                source=event.payload.source,
                happened_at=at,
                custom_details_json=details,
                links_json=links,
                timeout=self._config.database_timeout.total_seconds(),
            )
        except DATABASE_ERRORS as err:
            if is_data_error(err):
                log.info("change event refused: a value cannot be stored", service=service.name, error=str(err))
                raise unstorable(err) from None
            log.warning("change event not stored", service=service.name, error=str(err))
            raise unavailable("the change could not be stored", self._config.retry_after_seconds) from None
        log.info("change event stored", service=service.name, source=event.payload.source)
        # PagerDuty's answer to a change event, word for word
        return web.json_response({"status": "success", "message": "Change event processed"}, status=202)

    async def known_errors(self, request: web.Request) -> web.Response:
        check_bearer(request, self._config.release_token)
        release = await self._parse(request, KnownErrorRelease)
        try:
            async with self._pool.acquire(timeout=self._config.database_timeout.total_seconds()) as conn:
                added = await publish(
                    conn, self._client, self._config.task_queue, release.drafts(), release.actor, origin="pipeline"
                )
        except KnownErrorRefused as err:
            raise Refusal(400, "invalid_known_error", str(err)) from None
        except NotOfferedYet as err:
            raise unavailable(str(err), self._config.retry_after_seconds) from None
        except DATABASE_ERRORS as err:
            if is_data_error(err):  # the release is all or none: nothing of it was kept
                log.info("known errors refused: a value cannot be stored", release=release.release, error=str(err))
                raise unstorable(err) from None
            log.warning("known errors not stored", release=release.release, error=str(err))
            raise unavailable("the known errors could not be stored", self._config.retry_after_seconds) from None
        answers: list[dict[str, Any]] = [
            {"id": draft.key, "known_error": a.known_error.id, "created": a.created}
            for draft, a in zip(release.drafts(), added, strict=True)
        ]
        log.info(
            "known errors published",
            release=release.release,
            actor=release.actor,
            created=sum(a.created for a in added),
            known_errors=[a["known_error"] for a in answers],
        )
        created = any(a.created for a in added)
        return web.json_response(
            {"status": "success", "release": release.release, "known_errors": answers}, status=201 if created else 200
        )

    async def _parse(self, request: web.Request, model: type[Model]) -> Model:
        check_json(request)
        body = await read_body(request, self._config.max_body_bytes)
        try:
            return parse_body(model, body)[0]
        except MalformedBody as err:
            raise malformed(err.errors) from None
