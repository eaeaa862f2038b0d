"""The incident record as people read it (`incidents`, `incident_events`): incidentctl's list, report and
`show` of a closed incident, and the history a forecast is fitted to. stores/incidents.py writes it.

`list` reads keyset pages and an exact total kept without reading every row (page_of, total_of below), so
1,000 incidents cost about what one `temporal workflow list` of them costs (make bench B6).
"""

from datetime import datetime

import asyncpg

REPORTED = """
SELECT service, priority,
       count(*) FILTER (WHERE outcome IS DISTINCT FROM 'cancelled')                       AS incidents,
       count(*) FILTER (WHERE outcome = 'cancelled')                                       AS cancelled,
       avg(extract(epoch FROM acknowledged_at - logged_at)) FILTER (WHERE acknowledged_at IS NOT NULL) AS mtta,
       avg(extract(epoch FROM restored_at - logged_at) - paused_seconds)
           FILTER (WHERE restored_at IS NOT NULL)                                          AS mttr,
       count(*) FILTER (WHERE breached)                                                    AS breached,
       count(*) FILTER (WHERE restored_at IS NOT NULL AND NOT breached)                    AS restored_in_time
FROM incidents
WHERE logged_at >= $1 AND outcome IS DISTINCT FROM 'known_error' AND priority IS NOT NULL
GROUP BY service, priority
ORDER BY service, priority
"""


async def reported(conn: asyncpg.Connection, since: datetime) -> list[asyncpg.Record]:
    """Per service and priority since `since`: counts, mean seconds to acknowledge (mtta) and to restore
    less the time on hold (mttr), breached and restored in time. Known errors are not incidents."""
    return await conn.fetch(REPORTED, since)


async def closed(conn: asyncpg.Connection, number: str, workflow_id: str) -> asyncpg.Record | None:
    """The closed incident's row by its number or workflow id (the newest, if an id was reused)."""
    return await conn.fetchrow(
        "SELECT * FROM incidents WHERE (number = $1 OR workflow_id = $2) AND state = 'closed'"
        " ORDER BY logged_at DESC LIMIT 1",
        number,
        workflow_id,
    )


async def current(conn: asyncpg.Connection, number: str, workflow_id: str) -> asyncpg.Record | None:
    """The incident's row by its number or workflow id, open or closed (the newest, if an id was reused)."""
    return await conn.fetchrow(
        "SELECT number, workflow_id, service, state, priority, assignment_group, assignee FROM incidents"
        " WHERE number = $1 OR workflow_id = $2 ORDER BY logged_at DESC LIMIT 1",
        number,
        workflow_id,
    )


async def timeline(conn: asyncpg.Connection, incident_key: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT at, actor, action, from_state, to_state, detail FROM incident_events"
        " WHERE incident_key = $1 ORDER BY seq",
        incident_key,
    )


async def history(conn: asyncpg.Connection, since: datetime, services: list[str]) -> list[asyncpg.Record]:
    """The incidents of `services` logged since `since`, with the times a forecast is fitted to."""
    return await conn.fetch(
        "SELECT service, priority, category, outcome, logged_at, acknowledged_at, restored_at, resolved_at,"
        " paused_seconds FROM incidents WHERE logged_at >= $1 AND service = ANY($2::text[])",
        since,
        services,
    )


# Keyset pages of `list` (migration 012's indexes: incidents_not_closed for the incidents not closed,
# incidents_listed for --all): a page starts after the last row of the one before, so the 1,000th page
# costs what the first does and no row is repeated or skipped while others are written. Highest
# priority first (none last: 'P9'), then oldest, then by number.
PAGE_COLUMNS = (
    "number, workflow_id, state, outcome, priority, impact, urgency, service, category, assignment_group, assignee,"
    " summary, source, major, breached, logged_at, acknowledged_at, restored_at, resolved_at, closed_at,"
    " response_due, restore_due, occurrences, previous_number, coalesce(priority, 'P9') AS priority_key"
)
PAGE_FILTERS = (
    "($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR priority = $2) AND ($3::text IS NULL OR service = $3)"
    " AND (NOT $4 OR breached)"
)
PAGE_ORDER = " ORDER BY coalesce(priority, 'P9'), logged_at, number LIMIT $5"
PAGE_AFTER = " AND (coalesce(priority, 'P9'), logged_at, number) > ($6::text, $7::timestamptz, $8::text)"
# The total without reading every row: the incidents not closed are few and counted; the closed ones
# are summed from closed_incident_counts, which every write of `incidents` keeps exact (migration 012).
COUNTED_BY_STATE = f"""
SELECT (SELECT count(*) FROM incidents WHERE state <> 'closed' AND {PAGE_FILTERS})
     + CASE WHEN $5 AND ($1::text IS NULL OR $1 = 'closed') THEN
           (SELECT coalesce(sum(n), 0) FROM closed_incident_counts
            WHERE ($2::text IS NULL OR priority = $2) AND ($3::text IS NULL OR service = $3) AND (NOT $4 OR breached))
       ELSE 0 END
"""


def page_key(row: asyncpg.Record) -> tuple[str, datetime, str]:
    """Where the page after `row` starts (hand it to page_of as `after`)."""
    return row["priority_key"], row["logged_at"], row["number"]


async def page_of(
    conn: asyncpg.Connection,
    *,
    state: str | None,
    priority: str | None,
    service: str | None,
    breached: bool,
    all_: bool,
    limit: int,
    after: tuple[str, datetime, str] | None = None,
) -> list[asyncpg.Record]:
    """At most `limit` incidents after `after` (page_key of the last row of the page before), highest
    priority first; without --all (`all_`), only those not closed."""
    sql = (
        f"SELECT {PAGE_COLUMNS} FROM incidents WHERE {PAGE_FILTERS}"
        + ("" if all_ else " AND state <> 'closed'")
        + (PAGE_AFTER if after else "")
        + PAGE_ORDER
    )
    return await conn.fetch(sql, state, priority, service, breached, limit, *(after or ()))


async def total_of(
    conn: asyncpg.Connection,
    *,
    state: str | None,
    priority: str | None,
    service: str | None,
    breached: bool,
    all_: bool,
) -> int:
    """How many incidents page_of's pages hold in all, exactly, without reading every row."""
    return int(await conn.fetchval(COUNTED_BY_STATE, state, priority, service, breached, all_))
