"""The status board: one snapshot of what the page shows, read from Postgres at most every REFRESH
seconds and shared by every request (the page is read far more often than incidents change: make
bench B9). Only the fields domain.status names are read; nothing else of an incident is selected."""

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from activities.maintenance_store import windows
from domain.status import (
    DayBar,
    Maintenance,
    PublicIncident,
    RecordedIncident,
    RecordedStep,
    day_bars,
    on_the_page,
    public_incident,
    service_status,
    still_listed,
    uptime,
)

REFRESH_SECONDS = 1.0
HISTORY_DAYS = 90
RECENT_RESOLVED = timedelta(days=7)  # resolved incidents stay listed on the page this long


@dataclass(frozen=True)
class ServiceRow:
    name: str
    listed_since: datetime  # when the service first appeared in the catalog
    status: Any  # ComponentStatus
    bars: list[DayBar]
    uptime: float


@dataclass(frozen=True)
class Snapshot:
    at: datetime
    services: list[ServiceRow]
    incidents: list[PublicIncident]  # newest first: unresolved, and resolved within RECENT_RESOLVED
    maintenances: list[Maintenance]
    version: int  # changes when the snapshot is rebuilt (cached renderings key on it)


INCIDENTS_SQL = (
    "SELECT number, service, state, outcome, priority, impact, logged_at, acknowledged_at, restored_at,"
    " resolved_at, closed_at FROM incidents WHERE logged_at >= $1 OR state <> 'closed'"
)
# The steps that can change what the page says (its first entry, public updates, state changes), by the
# partial index of migration 008; no entry's detail but a public update's leaves the database.
STEPS_SQL = (
    "SELECT number, seq, at, action, to_state, CASE WHEN action = 'update' THEN detail ELSE '' END AS public_text"
    " FROM incident_events WHERE number = ANY($1::text[])"
    " AND (action = 'update' OR seq = 1 OR from_state IS DISTINCT FROM to_state)"
)
SERVICES_SQL = (
    "SELECT name, listed_since FROM services WHERE NOT coalesce((agreement->>'withdrawn')::boolean, false)"
    " ORDER BY name"
)


class StatusBoard:
    def __init__(self, pool: asyncpg.Pool, timeout: float = 5.0) -> None:
        self._pool = pool
        self._timeout = timeout
        self._snapshot: Snapshot | None = None
        self._built_at = 0.0
        self._lock = asyncio.Lock()

    async def snapshot(self) -> Snapshot:
        if self._snapshot is None or time.monotonic() - self._built_at > REFRESH_SECONDS:
            async with self._lock:  # one rebuild at a time; the others use it
                if self._snapshot is None or time.monotonic() - self._built_at > REFRESH_SECONDS:
                    version = self._snapshot.version + 1 if self._snapshot else 1
                    self._snapshot = await self._build(datetime.now(UTC), version)
                    self._built_at = time.monotonic()
        return self._snapshot

    async def _build(self, now: datetime, version: int) -> Snapshot:
        since = now - timedelta(days=HISTORY_DAYS)
        async with self._pool.acquire(timeout=self._timeout) as conn:
            services = await conn.fetch(SERVICES_SQL)
            records = [RecordedIncident(**dict(r)) for r in await conn.fetch(INCIDENTS_SQL, since)]
            # every unresolved incident is listed, so the listed ones are all a service's state needs
            listed = [r for r in records if on_the_page(r) and still_listed(r, now, RECENT_RESOLVED)]
            steps: dict[str, list[RecordedStep]] = {}
            for row in await conn.fetch(STEPS_SQL, [r.number for r in listed]):
                number, *fields = row.values()
                steps.setdefault(number, []).append(RecordedStep(*fields))
            maintenances = await windows(conn, now - timedelta(days=1))
        incidents = [public_incident(r, steps.get(r.number, [])) for r in listed]
        incidents.sort(key=lambda i: i.started_at, reverse=True)
        rows = []
        for service in services:
            name = service["name"]
            bars = day_bars(name, records, now, HISTORY_DAYS)
            status = service_status(name, incidents, maintenances, now)
            rows.append(ServiceRow(name, service["listed_since"], status, bars, uptime(bars)))
        return Snapshot(at=now, services=rows, incidents=incidents, maintenances=maintenances, version=version)
