"""Registration, the known-error check and the recent changes: the first steps of every incident."""

import json
from datetime import datetime, timedelta

import asyncpg
import structlog
from pydantic import BaseModel
from temporalio import activity

from activities.catalog_store import fetch_agreement
from activities.known_error_store import fetch_live, version_of
from activities.numbers import reserve_number
from domain.catalog import KnownError, ServiceAgreement
from domain.releases import KnownErrorIndex, RecentChange

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
                return await self._number(conn, request, agreement)

    async def _number(
        self, conn: asyncpg.Connection, request: RegisterIncident, agreement: ServiceAgreement
    ) -> Registration:
        existing = await conn.fetchrow(
            "SELECT number, previous_number FROM incidents WHERE incident_key = $1", request.incident_key
        )
        if existing is not None:
            return Registration(number=existing["number"], agreement=agreement,
                                previous_number=existing["previous_number"])  # fmt: skip
        # a new event after an incident closed makes a new incident linked to the old one
        previous = await conn.fetchval(
            "SELECT number FROM incidents WHERE workflow_id = $1 ORDER BY logged_at DESC LIMIT 1",
            request.previous_workflow_id or request.workflow_id,
        )
        number = request.number or await reserve_number(conn)
        await conn.execute(
            "INSERT INTO incidents (number, incident_key, workflow_id, service, summary, source, state,"
            " logged_at, previous_number) VALUES ($1, $2, $3, $4, $5, $6, 'logged', $7, $8)",
            number, request.incident_key, request.workflow_id, request.service, request.summary,
            request.source, request.logged_at, previous,
        )  # fmt: skip
        return Registration(number=number, agreement=agreement, previous_number=previous)

    async def _reject(self, conn: asyncpg.Connection, request: RegisterIncident) -> None:
        await conn.execute(
            "INSERT INTO rejected_events (dedup_key, source, service, reason, payload) VALUES ($1, $2, $3, $4, $5::jsonb)"
            " ON CONFLICT (dedup_key) DO NOTHING",
            request.incident_key, request.source, request.service, "service not in the agreed catalog",
            json.dumps({"summary": request.summary, "workflow_id": request.workflow_id}),
        )  # fmt: skip

    @activity.defn
    async def register_and_look_up(self, request: RegisterIncident) -> FirstSteps:
        """Registration, the known-error check and the recent changes in one activity: one round trip
        through Temporal instead of three before a new incident is prioritized and paged (make bench B7:
        during an alert storm each round trip waits behind the storm's). Each part reads or writes
        idempotently, so a retry gives the same answer."""
        registration = await self.register_incident(request)
        if registration.agreement is None:
            return FirstSteps(registration=registration)
        known = await self.find_known_error(KnownErrorQuery(service=request.service, text=request.summary))
        recent = await self.recent_changes(RecentChangesQuery(service=request.service, until=request.logged_at,
                                                              window=registration.agreement.change_window))  # fmt: skip
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
            rows = await conn.fetch(
                "SELECT happened_at, summary, source, links->0->>'href' AS link, count(*) OVER () AS total"
                " FROM change_events WHERE service = $1 AND happened_at BETWEEN $2 AND $3"
                " ORDER BY happened_at DESC, id DESC LIMIT $4",
                request.service, request.until - request.window, request.until, RECENT_CHANGES_SHOWN,
            )  # fmt: skip
        changes = [RecentChange(at=r["happened_at"], summary=r["summary"], source=r["source"], link=r["link"])
                   for r in rows]  # fmt: skip
        return RecentChanges(changes=changes, total=rows[0]["total"] if rows else 0)
