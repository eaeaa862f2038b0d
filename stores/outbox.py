"""Messages to people about incidents: `notification_outbox` (written with the timeline entry that
causes it, stores/incidents.py) and `notification_log` (one row per message sent, and where)."""

import asyncpg

# Marks sent and logs in one statement (one commit); rows sent meanwhile by another attempt are skipped.
LOG_ALL = """
WITH sent AS (
    UPDATE notification_outbox SET sent_at = now(), attempts = attempts + 1
    WHERE id = ANY($1::bigint[]) AND sent_at IS NULL
    RETURNING id, number, audience, action, message
), logged AS (
    INSERT INTO notification_log (outbox_id, target, message)
    SELECT id, 'log', message FROM sent
    ON CONFLICT (outbox_id) DO NOTHING
)
SELECT number, audience, action, message FROM sent ORDER BY id
"""


# The service's notification settings come with the rows (evaluated once, not per row): one round trip.
UNSENT = """
SELECT id, audience, (SELECT notifications FROM services WHERE name = $2) AS notifications
FROM notification_outbox WHERE incident_key = $1 AND sent_at IS NULL ORDER BY id
"""


async def unsent(conn: asyncpg.Connection, incident_key: str, service: str) -> list[asyncpg.Record]:
    """id and audience of the incident's messages not sent yet, oldest first, each with `notifications`,
    the service's settings (JSON text; None when it has none)."""
    return await conn.fetch(UNSENT, incident_key, service)


async def log_all(conn: asyncpg.Connection, outbox_ids: list[int]) -> list[asyncpg.Record]:
    """Marks the messages sent with the message log as their target; returns those marked now
    (number, audience, action, message)."""
    return await conn.fetch(LOG_ALL, outbox_ids)


async def lock_unsent(conn: asyncpg.Connection, outbox_id: int) -> asyncpg.Record | None:
    """The row, locked until the transaction ends; None when it was sent meanwhile (or is being sent)."""
    return await conn.fetchrow(
        "SELECT * FROM notification_outbox WHERE id = $1 AND sent_at IS NULL FOR UPDATE SKIP LOCKED", outbox_id
    )


async def mark_sent(conn: asyncpg.Connection, outbox_id: int, target: str, message: str) -> None:
    await conn.execute(
        "UPDATE notification_outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = $1", outbox_id
    )
    await conn.execute(
        "INSERT INTO notification_log (outbox_id, target, message) VALUES ($1, $2, $3)"
        " ON CONFLICT (outbox_id) DO NOTHING",
        outbox_id,
        target,
        message,
    )


async def note_failure(conn: asyncpg.Connection, outbox_id: int, error: str) -> None:
    await conn.execute(
        "UPDATE notification_outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1", outbox_id, error
    )
