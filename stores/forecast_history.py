"""The incident record a forecast is fitted to (`incidents`), in pages: a year of a large team's record
is hundreds of thousands of rows, so each page starts after the last row of the one before (by logged
time, then number), never at an offset the database must count up to."""

from datetime import datetime

import asyncpg

PAGE = """
SELECT number, service, priority, category, outcome, logged_at, acknowledged_at, restored_at, resolved_at,
       paused_seconds
FROM incidents
WHERE logged_at >= $1 AND service = ANY($2::text[])
  AND ($3::timestamptz IS NULL OR (logged_at, number) > ($3, $4))
ORDER BY logged_at, number
LIMIT $5
"""


async def history_page(
    conn: asyncpg.Connection, since: datetime, services: list[str], after: tuple[datetime, str] | None, limit: int
) -> list[asyncpg.Record]:
    """At most `limit` incidents of `services` logged since `since`, after `after` (logged_at, number)."""
    at, number = after if after is not None else (None, "")
    return await conn.fetch(PAGE, since, services, at, number, limit)
