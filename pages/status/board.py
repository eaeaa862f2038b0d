"""The status board: one snapshot of what the page shows, read from Postgres (stores/status_board.py)
at most every REFRESH seconds and shared by every request (the page is read far more often than
incidents change: make bench B9). A rebuild reads the incidents it lists and each service's day
figures, never the 90 days of incidents behind the bars, and reads the steps of only the incidents
whose record changed since the last rebuild (make bench B11)."""

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from domain.status import (
    DayBar,
    Maintenance,
    PublicIncident,
    RecordedIncident,
    RecordedStep,
    on_the_page,
    public_incident,
    resolved_at,
    service_status,
    still_listed,
    uptime,
)
from domain.status_days import DayFigure, day_bars_from_figures, figure
from stores import status_board
from stores.catalog import listed_services
from stores.maintenance import windows

REFRESH_SECONDS = 1.0
HISTORY_DAYS = 90
RECENT_RESOLVED = timedelta(days=7)  # resolved incidents stay listed on the page this long
# As Statuspage's incidents.json, bounded: the 50 most recent resolved incidents, beside every unresolved one
# (never crowded out: a resolved incident stays listed for RECENT_RESOLVED however many are still open).
LISTED = 50


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
    incidents: list[PublicIncident]  # newest first: unresolved, and resolved within RECENT_RESOLVED (at most LISTED)
    maintenances: list[Maintenance]
    version: int  # changes when the snapshot is rebuilt (cached renderings key on it)


class StatusBoard:
    def __init__(self, pool: asyncpg.Pool, timeout: float = 5.0) -> None:
        self._pool = pool
        self._timeout = timeout
        self._snapshot: Snapshot | None = None
        self._built_at = 0.0
        self._lock = asyncio.Lock()
        # number -> (its listed row, as the last rebuild published it)
        self._published: dict[str, tuple[tuple[Any, ...], PublicIncident]] = {}

    async def snapshot(self) -> Snapshot:
        if self._snapshot is None or time.monotonic() - self._built_at > REFRESH_SECONDS:
            async with self._lock:  # one rebuild at a time; the others use it
                if self._snapshot is None or time.monotonic() - self._built_at > REFRESH_SECONDS:
                    version = self._snapshot.version + 1 if self._snapshot else 1
                    self._snapshot = await self._build(datetime.now(UTC), version)
                    self._built_at = time.monotonic()
        return self._snapshot

    async def _build(self, now: datetime, version: int) -> Snapshot:
        first_day = (now - timedelta(days=HISTORY_DAYS - 1)).date()
        async with self._pool.acquire(timeout=self._timeout) as conn:
            services = await listed_services(conn)
            rows = await status_board.listed_incidents(conn, now - RECENT_RESOLVED, LISTED)
            keys = {r["number"]: tuple(r.values()) for r in rows}
            records = [RecordedIncident(**{k: v for k, v in r.items() if k != "last_seq"}) for r in rows]
            listed = _most_recent([r for r in records if on_the_page(r) and still_listed(r, now, RECENT_RESOLVED)])
            changed = {r.number for r in listed if self._published.get(r.number, (None,))[0] != keys[r.number]}
            steps: dict[str, list[RecordedStep]] = {}
            for row in await status_board.steps_of(conn, sorted(changed)):
                number, *fields = row.values()
                steps.setdefault(number, []).append(RecordedStep(*fields))
            figures: dict[str, dict[date, DayFigure]] = {}
            for row in await status_board.day_figures(conn, first_day):
                figures.setdefault(row["service"], {})[row["day"]] = figure(
                    row["day"], row["worst"], row["starts"], row["ends"]
                )
            maintenances = await windows(conn, now - timedelta(days=1))
        # an incident whose row and timeline are as they were is published as it was: an alert storm's
        # thousands of open incidents cost a rebuild their rows, not their steps and words again
        self._published = {
            r.number: (keys[r.number], public_incident(r, steps.get(r.number, [])))
            if r.number in changed
            else self._published[r.number]
            for r in listed
        }
        incidents = [incident for _, incident in self._published.values()]
        incidents.sort(key=lambda i: i.started_at, reverse=True)
        service_rows = []
        for service in services:
            name = service["name"]
            bars = day_bars_from_figures(name, figures.get(name, {}), records, now, HISTORY_DAYS)
            status = service_status(name, incidents, maintenances, now)
            service_rows.append(ServiceRow(name, service["listed_since"], status, bars, uptime(bars)))
        return Snapshot(at=now, services=service_rows, incidents=incidents, maintenances=maintenances, version=version)


def _most_recent(listed: list[RecordedIncident]) -> list[RecordedIncident]:
    """Every unresolved incident, and the LISTED most recently started resolved ones."""
    unresolved = [r for r in listed if resolved_at(r) is None]
    resolved = sorted((r for r in listed if resolved_at(r) is not None), key=lambda r: r.logged_at, reverse=True)
    return unresolved + resolved[:LISTED]
