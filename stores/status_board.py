"""What the status page reads: the incidents of the last days and the steps of those it lists.
Only the fields domain.status names are read; nothing else of an incident is selected."""

from datetime import datetime

import asyncpg

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


async def incidents_since(conn: asyncpg.Connection, since: datetime) -> list[asyncpg.Record]:
    """Those logged since `since`, and every one not closed yet."""
    return await conn.fetch(INCIDENTS_SQL, since)


async def steps_of(conn: asyncpg.Connection, numbers: list[str]) -> list[asyncpg.Record]:
    """number, seq, at, action, to_state, public_text of the incidents' steps that show on the page."""
    return await conn.fetch(STEPS_SQL, numbers)
