"""Pages sent to people (`pages`: one row per incident, page, person and channel) and the
acknowledgements their links made (`page_acks`: one per page and person, whichever channel's link)."""

from typing import Any

import asyncpg


async def of_page(conn: asyncpg.Connection, incident_key: str, page: int) -> list[asyncpg.Record]:
    """id, person, channel and status of each row of one page, in the order written."""
    return await conn.fetch(
        "SELECT id, person, channel, status FROM pages WHERE incident_key = $1 AND page_seq = $2 ORDER BY id",
        incident_key,
        page,
    )


async def add(
    conn: asyncpg.Connection,
    *,
    incident_key: str,
    page: int,
    number: str,
    priority: str,
    service: str,
    summary: str,
    runbook: str,
    person: str,
    channel: str,
    step: str,
    reason: str,
    status: str,
) -> None:
    """Keyed by (incident, page, person, channel): writing it again adds nothing."""
    await conn.execute(
        "INSERT INTO pages (incident_key, page_seq, number, priority, service, summary, runbook,"
        " person, channel, step, reason, status)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING",
        incident_key,
        page,
        number,
        priority,
        service,
        summary,
        runbook,
        person,
        channel,
        step,
        reason,
        status,
    )


async def pending_ids(conn: asyncpg.Connection, incident_key: str) -> list[int]:
    rows = await conn.fetch(
        "SELECT id FROM pages WHERE incident_key = $1 AND status = 'pending' ORDER BY id", incident_key
    )
    return [r["id"] for r in rows]


async def lock_pending(conn: asyncpg.Connection, row_id: int) -> asyncpg.Record | None:
    """The row, locked until the transaction ends; None when it was sent meanwhile (or is being sent)."""
    return await conn.fetchrow(
        "SELECT * FROM pages WHERE id = $1 AND status = 'pending' FOR UPDATE SKIP LOCKED", row_id
    )


async def note_failure(conn: asyncpg.Connection, row_id: int, error: str) -> None:
    await conn.execute("UPDATE pages SET attempts = attempts + 1, last_error = $2 WHERE id = $1", row_id, error)


async def mark_sent(conn: asyncpg.Connection, row_id: int) -> None:
    await conn.execute(
        "UPDATE pages SET status = 'sent', attempts = attempts + 1, sent_at = now(), last_error = NULL WHERE id = $1",
        row_id,
    )


async def about(
    pool: asyncpg.Pool, number: str, page: int, person: str, token_id: str, timeout: float
) -> tuple[str, bool]:
    """The page's "P1 checkout: summary" ("" when unknown), and whether its link was used."""
    row = await pool.fetchrow(
        "SELECT (SELECT priority || ' ' || service || ': ' || summary FROM pages WHERE number = $1"
        " AND page_seq = $2 AND person = $3 LIMIT 1) AS headline,"
        " EXISTS (SELECT 1 FROM page_acks WHERE token_id = $4) AS used",
        number,
        page,
        person,
        token_id,
        timeout=timeout,
    )
    return row["headline"] or "", bool(row["used"])


async def take_acknowledgement(pool: asyncpg.Pool, token_id: str, number: str, person: str, timeout: float) -> bool:
    """True for the first use of the link; False when it was used already."""
    taken: Any = await pool.fetchval(
        "INSERT INTO page_acks (token_id, number, person) VALUES ($1, $2, $3)"
        " ON CONFLICT (token_id) DO NOTHING RETURNING token_id",
        token_id,
        number,
        person,
        timeout=timeout,
    )
    return taken is not None


async def give_back_acknowledgement(pool: asyncpg.Pool, token_id: str) -> None:
    """The acknowledgement did not reach the incident: the link must work again."""
    await pool.execute("DELETE FROM page_acks WHERE token_id = $1", token_id)
