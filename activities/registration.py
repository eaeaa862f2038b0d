"""Registration, the known-error check and the recent changes: the first steps of every incident."""

import json
from datetime import datetime, timedelta

import asyncpg
import structlog
from pydantic import BaseModel
from temporalio import activity

from domain.catalog import KnownError, ServiceAgreement
from domain.releases import KnownErrorIndex, RecentChange
from stores import changes as change_events
from stores import incidents, rejections
from stores.catalog import fetch_agreement
from stores.known_errors import fetch_live, version_of

log = structlog.get_logger(__name__)


class RegisterIncident(BaseModel):
    incident_key: str
    workflow_id: str
    service: str
    summary: str
    source: str
    logged_at: datetime
    number: str | None = None  # reserved at intake; None: the next incident on a closed one's id, numbered here
    previous_workflow_id: str | None = None  # the closed incident it follows, when alerts fired again


class Registration(BaseModel):
    number: str | None
    agreement: ServiceAgreement | None
    previous_number: str | None
    # Outside the agreements: no incident. A result, not a failed activity: a refusal is an answer,
    # and a failure would put a traceback in the worker's log for what is only a wrong service name.
    refused: str | None = None


class KnownErrorQuery(BaseModel):
    service: str
    text: str


class RecentChangesQuery(BaseModel):
    service: str
    until: datetime  # when the incident was logged
    window: timedelta


class RecentChanges(BaseModel):
    changes: list[RecentChange]  # newest first, at most RECENT_CHANGES_SHOWN
    total: int


RECENT_CHANGES_SHOWN = 5  # in the incident's history; `incidentctl changes` lists them all


class FirstSteps(BaseModel):
    """What a new incident needs from the database before it can be prioritized, in one answer."""

    registration: Registration
    known_error: KnownError | None = None  # the first live known error its summary matches
    recent: RecentChanges | None = None  # None only when registration was refused


class RegistrationActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        # The known errors of each service as of its audit version: one tiny query per event instead
        # of loading every known error (1,000 of them take milliseconds to fetch and decode).
        self._known: dict[str, tuple[int, KnownErrorIndex]] = {}

    async def register_incident(self, request: RegisterIncident) -> Registration:
        """Give the incident its number, once: a retry finds the row it already wrote."""
        async with self._pool.acquire() as conn:
            agreement = await fetch_agreement(conn, request.service)
            if agreement is None:
                await self._reject(conn, request)  # recorded, never dropped silently
                reason = f"service {request.service!r} is not in the agreed catalog: no incident registered"
                log.info("registration refused", workflow_id=request.workflow_id, service=request.service)
                return Registration(number=None, agreement=None, previous_number=None, refused=reason)
            async with conn.transaction():
                number, previous = await incidents.register(
                    conn,
                    incident_key=request.incident_key,
                    workflow_id=request.workflow_id,
                    service=request.service,
                    summary=request.summary,
                    source=request.source,
                    logged_at=request.logged_at,
                    number=request.number,
                    previous_workflow_id=request.previous_workflow_id,
                )
        return Registration(number=number, agreement=agreement, previous_number=previous)

    async def _reject(self, conn: asyncpg.Connection, request: RegisterIncident) -> None:
        await rejections.reject(
            conn,
            dedup_key=request.incident_key,
            source=request.source,
            service=request.service,
            reason=rejections.OUTSIDE_CATALOG,
            payload_json=json.dumps({"summary": request.summary, "workflow_id": request.workflow_id}),
        )

    @activity.defn
    async def register_and_look_up(self, request: RegisterIncident) -> FirstSteps:
        """Registration, the known-error check and the recent changes in one activity: one round trip
        through Temporal, not one per part, before a new incident is prioritized and paged (make bench B7:
        during an alert storm each round trip waits behind the storm's). Each part reads or writes
        idempotently, so a retry gives the same answer."""
        registration = await self.register_incident(request)
        if registration.agreement is None:
            return FirstSteps(registration=registration)
        known = await self.find_known_error(KnownErrorQuery(service=request.service, text=request.summary))
        recent = await self.recent_changes(
            RecentChangesQuery(
                service=request.service, until=request.logged_at, window=registration.agreement.change_window
            )
        )
        return FirstSteps(registration=registration, known_error=known, recent=recent)

    async def find_known_error(self, request: KnownErrorQuery) -> KnownError | None:
        """The live known-error database: one published a second ago matches, a retired one never."""
        async with self._pool.acquire() as conn:
            version = await version_of(conn, request.service)
            cached = self._known.get(request.service)
            if cached is None or cached[0] != version:
                cached = (version, KnownErrorIndex(request.service, await fetch_live(conn, request.service)))
                self._known[request.service] = cached
        return cached[1].first_match(request.text)

    async def recent_changes(self, request: RecentChangesQuery) -> RecentChanges:
        """What changed in the service (change events) in the window before the incident was logged."""
        async with self._pool.acquire() as conn:
            rows = await change_events.recent(
                conn, request.service, request.until, request.window, RECENT_CHANGES_SHOWN
            )
        changes = [
            RecentChange(at=r["happened_at"], summary=r["summary"], source=r["source"], link=r["link"]) for r in rows
        ]
        return RecentChanges(changes=changes, total=rows[0]["total"] if rows else 0)
