"""What the status page reads: the incidents it lists, the steps of those, and the figures of each
service's days (migration 012's `status_days`, kept up to date by the record's writes). Only the fields
domain.status names are read; nothing else of an incident is selected. Every statement is answered from
an index, so a rebuild costs the same with 300,000 incidents in the record as with 300 (make bench B11).
"""

from datetime import date, datetime

import asyncpg

FIELDS = (
    "number, service, state, outcome, priority, impact, logged_at, acknowledged_at, restored_at, resolved_at, closed_at,"
    " last_seq"
)
# The incidents the page shows (P1-P3, an outage: domain.status.on_the_page): every one not closed yet
# (migration 012's partial index), and the most recent of those closed since `$1`, by the index on their
# resolution.
ON_THE_PAGE = (
    "priority IN ('P1', 'P2', 'P3') AND (outcome IS NULL OR outcome NOT IN ('known_error', 'cancelled', 'duplicate'))"
)
LISTED_SQL = (
    f"(SELECT {FIELDS} FROM incidents WHERE state <> 'closed' AND {ON_THE_PAGE})"
    f" UNION ALL (SELECT {FIELDS} FROM incidents WHERE state = 'closed' AND coalesce(resolved_at, closed_at) >= $1"
    f" AND {ON_THE_PAGE} ORDER BY logged_at DESC LIMIT $2)"
)
DAYS_SQL = (
    "SELECT service, day, worst, ARRAY(SELECT lower(r) FROM unnest(outage) r ORDER BY 1) AS starts,"
    " ARRAY(SELECT upper(r) FROM unnest(outage) r ORDER BY lower(r)) AS ends FROM status_days WHERE day >= $1"
)
# The steps that can change what the page says (its first entry, public updates, state changes), by the
# partial index of migration 008; no entry's detail but a public update's leaves the database.
STEPS_SQL = (
    "SELECT number, seq, at, action, to_state, CASE WHEN action = 'update' THEN detail ELSE '' END AS public_text"
    " FROM incident_events WHERE number = ANY($1::text[])"
    " AND (action = 'update' OR seq = 1 OR from_state IS DISTINCT FROM to_state)"
)


async def listed_incidents(conn: asyncpg.Connection, resolved_since: datetime, resolved: int) -> list[asyncpg.Record]:
    """Every incident on the page not closed, and the `resolved` most recent closed ones resolved since
    `resolved_since`: domain.status.RecordedIncident's fields, and last_seq (the newest timeline entry in
    the record: written in the same commit as the entries up to it)."""
    return await conn.fetch(LISTED_SQL, resolved_since, resolved)


async def day_figures(conn: asyncpg.Connection, first_day: date) -> list[asyncpg.Record]:
    """service, day, worst (a ComponentStatus rank), starts and ends of its outage spans, from `first_day`."""
    return await conn.fetch(DAYS_SQL, first_day)


async def steps_of(conn: asyncpg.Connection, numbers: list[str]) -> list[asyncpg.Record]:
    """number, seq, at, action, to_state, public_text of the incidents' steps that show on the page."""
    return await conn.fetch(STEPS_SQL, numbers)
