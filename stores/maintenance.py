"""Maintenance windows: announced by people (incidentctl maintenance), shown on the status page, and
the alerts of a service inside one are recorded against it instead of opening incidents."""

import json
from datetime import datetime
from typing import Any

import asyncpg

from domain.status import Maintenance


class MaintenanceRefused(ValueError):
    """Bad input; the message says what to change. Nothing was changed."""


def _of(row: Any) -> Maintenance:
    return Maintenance(
        id=row["id"], service=row["service"], starts_at=row["starts_at"], ends_at=row["ends_at"], summary=row["summary"]
    )


async def add(
    conn: asyncpg.Connection, service: str, starts_at: datetime, ends_at: datetime, summary: str, actor: str
) -> Maintenance:
    if ends_at <= starts_at:
        raise MaintenanceRefused("--to must be after --from")
    if not summary.strip():
        raise MaintenanceRefused("--summary is needed: the business reads it on the status page")
    row = await conn.fetchrow(
        "INSERT INTO maintenance_windows (service, starts_at, ends_at, summary, created_by)"
        " VALUES ($1, $2, $3, $4, $5) RETURNING *",
        service,
        starts_at,
        ends_at,
        summary.strip(),
        actor,
    )
    return _of(row)


async def cancel(conn: asyncpg.Connection, window_id: int, actor: str) -> Maintenance:
    row = await conn.fetchrow(
        "UPDATE maintenance_windows SET cancelled_at = coalesce(cancelled_at, now()),"
        " cancelled_by = coalesce(cancelled_by, $2) WHERE id = $1 RETURNING *",
        window_id,
        actor,
    )
    if row is None:
        raise MaintenanceRefused(f"no maintenance window {window_id} (incidentctl maintenance list)")
    return _of(row)


async def windows(conn: Any, since: datetime) -> list[Maintenance]:
    """Not cancelled, ending after `since`: in progress and scheduled ones (and those just completed)."""
    rows = await conn.fetch(
        "SELECT * FROM maintenance_windows WHERE cancelled_at IS NULL AND ends_at > $1 ORDER BY starts_at, id", since
    )
    return [_of(r) for r in rows]


async def events_taken(conn: asyncpg.Connection, window_ids: list[int]) -> dict[int, int]:
    """How many alert events each window took (a window that took none is left out)."""
    rows = await conn.fetch(
        "SELECT window_id, sum(events)::int AS n FROM maintenance_events"
        " WHERE window_id = ANY($1::bigint[]) GROUP BY window_id",
        window_ids,
    )
    return {r["window_id"]: r["n"] for r in rows}


async def attach(
    db: asyncpg.Pool | asyncpg.Connection,
    window_id: int,
    source: str,
    route: str,
    events: int,
    payload: Any,
    timeout: float,
) -> None:
    await db.execute(
        "INSERT INTO maintenance_events (window_id, source, route, events, payload) VALUES ($1, $2, $3, $4, $5::jsonb)",
        window_id,
        source,
        route,
        events,
        json.dumps(payload),
        timeout=timeout,
    )
