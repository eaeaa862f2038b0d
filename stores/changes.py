"""Change events (`change_events`): what release management deployed or changed in a service, shown
beside the incidents that follow it."""

from datetime import datetime, timedelta

import asyncpg


async def add(
    pool: asyncpg.Pool,
    *,
    event_key: str,
    service: str,
    summary: str,
    source: str,
    happened_at: datetime,
    custom_details_json: str,
    links_json: str,
    timeout: float | None = None,
) -> None:
    """Stored once per event key: a sender's retry of the same change adds nothing."""
    await pool.execute(
        "INSERT INTO change_events (event_key, service, summary, source, happened_at, custom_details, links)"
        " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb) ON CONFLICT (event_key) DO NOTHING",
        event_key,
        service,
        summary,
        source,
        happened_at,
        custom_details_json,
        links_json,
        timeout=timeout,
    )


async def recent(
    conn: asyncpg.Connection, service: str, until: datetime, window: timedelta, limit: int
) -> list[asyncpg.Record]:
    """The service's changes in [until - window, until], newest first, at most `limit`: happened_at,
    summary, source, link (the first one's href) and total (how many in the window)."""
    return await conn.fetch(
        "SELECT happened_at, summary, source, links->0->>'href' AS link, count(*) OVER () AS total"
        " FROM change_events WHERE service = $1 AND happened_at BETWEEN $2 AND $3"
        " ORDER BY happened_at DESC, id DESC LIMIT $4",
        service,
        until - window,
        until,
        limit,
    )


async def since(conn: asyncpg.Connection, service: str | None, since: datetime) -> list[asyncpg.Record]:
    """Every change since `since` (of one service, or all), newest first: service, summary, source,
    happened_at, links and custom_details (JSON text)."""
    return await conn.fetch(
        "SELECT service, summary, source, happened_at, links, custom_details FROM change_events"
        " WHERE ($1::text IS NULL OR service = $1) AND happened_at >= $2 ORDER BY happened_at DESC, id DESC",
        service,
        since,
    )
