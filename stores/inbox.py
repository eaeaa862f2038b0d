"""The receiver's durable intake, `alert_inbox`: one row per delivery, committed before its 2xx and
deleted once its incident took it. Rows are per channel (the Temporal address, namespace and task
queue they go to), and one forwarder per channel reads them, under a session-level advisory lock.
Every insert notifies (NOTIFY alert_inbox, the channel as payload, delivered at commit), so the
forwarder learns of rows another receiver wrote at once, not at its next poll."""

import asyncio
from collections.abc import Callable

import asyncpg

from stores import rejections

# The transaction lock (per channel, released at commit) is taken before the first row draws its
# seq, so seqs commit in order even with several receivers on one channel: the forwarder, reading
# committed rows by seq, never forwards a row before an older one that is still being written.
INSERT = (
    "WITH stored AS (INSERT INTO alert_inbox (channel, workflow_id, delivery)"
    " SELECT $1, row.workflow_id, row.delivery"
    " FROM (SELECT pg_advisory_xact_lock(7234, hashtext($1))) AS in_order,"
    " unnest($2::text[], $3::jsonb[]) AS row(workflow_id, delivery))"
    " SELECT pg_notify('alert_inbox', $1)"
)
NEW_ROWS = "alert_inbox"  # the notification channel: one for every inbox channel, told apart by the payload
_LEADER_LOCK = 7_233  # any constant; with the channel's hash, one forwarder per channel


async def put(db: asyncpg.Pool | asyncpg.Connection, channel: str, routes: list[str], deliveries: list[str]) -> None:
    """One row per delivery (its route and its JSON document), in one statement; listeners hear of it at commit."""
    await db.execute(INSERT, channel, routes, deliveries)


Listener = Callable[[object, int, str, str], None]


async def listen(conn: asyncpg.Connection, channel: str, on_new_rows: Callable[[], None], timeout: float) -> Listener:
    """Call `on_new_rows` whenever rows of `channel` are committed, by any receiver, until stop_listening
    (or the session's end)."""

    def heard(_conn: object, _pid: int, _name: str, payload: str) -> None:
        if payload == channel:
            on_new_rows()

    await asyncio.wait_for(conn.add_listener(NEW_ROWS, heard), timeout)
    return heard


async def stop_listening(conn: asyncpg.Connection, listener: Listener, timeout: float) -> None:
    await asyncio.wait_for(conn.remove_listener(NEW_ROWS, listener), timeout)


async def oldest(
    db: asyncpg.Pool | asyncpg.Connection, channel: str, after: int, limit: int, timeout: float
) -> list[asyncpg.Record]:
    """seq, workflow_id (the route) and delivery of the channel's oldest rows after seq `after`."""
    return await db.fetch(
        "SELECT seq, workflow_id, delivery FROM alert_inbox WHERE channel = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        channel,
        after,
        limit,
        timeout=timeout,
    )


async def delete(db: asyncpg.Pool | asyncpg.Connection, seqs: list[int], timeout: float) -> None:
    await db.execute("DELETE FROM alert_inbox WHERE seq = ANY($1::bigint[])", seqs, timeout=timeout)


async def note_failure(pool: asyncpg.Pool, seqs: list[int], error: str, timeout: float) -> None:
    await pool.execute(
        "UPDATE alert_inbox SET attempts = attempts + 1, last_error = $2 WHERE seq = ANY($1::bigint[])",
        seqs,
        error,
        timeout=timeout,
    )


async def set_aside(
    pool: asyncpg.Pool, seq: int, service: str | None, reason: str, delivery: str, timeout: float
) -> None:
    """The row moves to rejected_events (kept, with the reason), in one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        await rejections.reject(
            conn,
            dedup_key=f"inbox-{seq}",
            source="alert_inbox",
            service=service,
            reason=reason,
            payload_json=delivery,
            timeout=timeout,
        )
        await conn.execute("DELETE FROM alert_inbox WHERE seq = $1", seq, timeout=timeout)


async def try_to_lead(conn: asyncpg.Connection, channel: str, timeout: float) -> bool:
    """Whether this session now forwards the channel's rows (the lock goes with the session)."""
    return bool(
        await conn.fetchval("SELECT pg_try_advisory_lock($1, hashtext($2))", _LEADER_LOCK, channel, timeout=timeout)
    )


async def stop_leading(conn: asyncpg.Connection, channel: str, timeout: float) -> None:
    await conn.execute("SELECT pg_advisory_unlock($1, hashtext($2))", _LEADER_LOCK, channel, timeout=timeout)
