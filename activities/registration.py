"""Registration, the known-error check and the recent changes: the first steps of every incident."""

import asyncio
import contextlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
import structlog
from pydantic import BaseModel
from temporalio import activity

from domain.catalog import KnownError, ServiceAgreement
from domain.releases import KnownErrorIndex, RecentChange
from stores import changes as change_events
from stores import incidents, known_errors, rejections
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
LISTEN_RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class Heard:
    """What the watch had heard when a copy was read: the copy holds while nothing newer is heard."""

    listening: bool
    session: int  # the listening session's number: a copy read before it may have missed a change
    changes: int  # changes heard for the service in that session


class KnownErrorWatch:
    """Hears every change to the known errors as it commits (stores.known_errors.CHANGED) on a session
    of its own, so a service's copy is trusted without asking Postgres for its version per event: the
    check is then a match in memory, whatever the database's round trip costs on a busy day (make bench
    B8). While it is not listening (starting, or its session lost), the check asks for the version."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._task: asyncio.Task[None] | None = None
        self._listening, self._session = False, 0
        self._changes: dict[str, int] = {}

    def heard(self, service: str) -> Heard:
        if self._task is None:  # started by the first check, on the worker's event loop
            self._task = asyncio.create_task(self._listen(), name="known-error-watch")
        return Heard(self._listening, self._session, self._changes.get(service, 0))

    def vouches_for(self, service: str, then: Heard) -> bool:
        return then.listening and then == self.heard(service)

    async def close(self) -> None:
        """Give the session back to the pool (before the pool closes)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _listen(self) -> None:
        while True:
            try:
                async with self._pool.acquire() as conn:
                    lost = asyncio.Event()
                    conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
                    heard = await known_errors.listen(conn, self._changed)
                    self._session += 1
                    self._listening = True
                    try:
                        await lost.wait()
                    finally:
                        self._listening = False
                        if not conn.is_closed():
                            await conn.remove_listener(known_errors.CHANGED, heard)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
                log.warning("known-error watch lost its session; checks ask Postgres meanwhile", error=str(err))
            await asyncio.sleep(LISTEN_RETRY_SECONDS)

    def _changed(self, service: str) -> None:
        self._changes[service] = self._changes.get(service, 0) + 1


class FirstSteps(BaseModel):
    """What a new incident needs from the database before it can be prioritized, in one answer."""

    registration: Registration
    known_error: KnownError | None = None  # the first live known error its summary matches
    recent: RecentChanges | None = None  # None only when registration was refused


class RegistrationActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        # The known errors of each service as of its audit version (1,000 of them take milliseconds to
        # fetch and decode), and what the watch had heard when they were read.
        self._known: dict[str, tuple[int, Heard, KnownErrorIndex]] = {}
        self.watch = KnownErrorWatch(pool)

    async def register_incident(self, request: RegisterIncident) -> Registration:
        """Give the incident its number, once: a retry finds the row it already wrote."""
        async with self._pool.acquire() as conn:
            agreement = await fetch_agreement(conn, request.service)
            if agreement is None:
                await self._reject(conn, request)  # recorded, never dropped silently
                reason = f"service {request.service!r} is not in the agreed catalog: no incident registered"
                log.info("registration refused", workflow_id=request.workflow_id, service=request.service)
                return Registration(number=None, agreement=None, previous_number=None, refused=reason)
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
        cached = self._known.get(request.service)
        if cached is not None and self.watch.vouches_for(request.service, cached[1]):
            return cached[2].first_match(request.text)  # no change since it was read: nothing to ask
        heard = self.watch.heard(request.service)  # before reading: a change from now on is heard after
        async with self._pool.acquire() as conn:
            version = await version_of(conn, request.service)
            if cached is None or cached[0] != version:
                index = KnownErrorIndex(request.service, await fetch_live(conn, request.service))
            else:
                index = cached[2]
        self._known[request.service] = (version, heard, index)
        return index.first_match(request.text)

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
