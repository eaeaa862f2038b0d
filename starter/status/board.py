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
    day_bars,
    on_the_page,
    public_incident,
    service_status,
    uptime,
)

REFRESH_SECONDS = 1.0
HISTORY_DAYS = 90
RECENT_RESOLVED = timedelta(days=7)  # resolved incidents stay listed on the page this long


@dataclass(frozen=True)
class ServiceRow:
    name: str
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
    " closed_at FROM incidents WHERE logged_at >= $1 OR state <> 'closed'"
)
UPDATES_SQL = (
    "SELECT number, at, detail FROM incident_events WHERE action = 'update' AND number = ANY($1::text[]) ORDER BY at"
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
            services = [r["name"] for r in await conn.fetch(
                "SELECT name FROM services WHERE NOT coalesce((agreement->>'withdrawn')::boolean, false)"
                " ORDER BY name")]  # fmt: skip
            records = [RecordedIncident(**dict(r)) for r in await conn.fetch(INCIDENTS_SQL, since)]
            shown = [r for r in records if on_the_page(r)]
            written: dict[str, list[tuple[datetime, str]]] = {}
            for row in await conn.fetch(UPDATES_SQL, [r.number for r in shown]):
                written.setdefault(row["number"], []).append((row["at"], row["detail"]))
            maintenances = await windows(conn, now - timedelta(days=1))
        incidents = [public_incident(r, written.get(r.number, [])) for r in shown]
        listed = [i for i in incidents if i.unresolved or (i.resolved_at and now - i.resolved_at < RECENT_RESOLVED)]
        listed.sort(key=lambda i: i.started_at, reverse=True)
        today = now.date()
        rows = []
        for name in services:
            bars = day_bars(name, records, today, HISTORY_DAYS)
            rows.append(ServiceRow(name, service_status(name, incidents, maintenances, now), bars, uptime(bars)))
        return Snapshot(at=now, services=rows, incidents=listed, maintenances=maintenances, version=version)
