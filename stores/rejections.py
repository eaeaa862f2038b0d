"""Events refused because no agreement covers them, or that can never be forwarded, are kept in
`rejected_events` with the reason: never dropped silently.

The row is keyed by a dedup key, so a sender's retries and repeats of the same refused event add
nothing (ON CONFLICT DO NOTHING).
"""

import asyncpg

OUTSIDE_CATALOG = "service not in the agreed catalog"  # the reason of an event naming no service in force

INSERT = (
    "INSERT INTO rejected_events (dedup_key, source, service, reason, payload)"
    " VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (dedup_key) DO NOTHING"
)


async def reject(
    db: asyncpg.Pool | asyncpg.Connection,
    *,
    dedup_key: str,
    source: str,
    service: str | None,
    reason: str,
    payload_json: str,
    timeout: float | None = None,
) -> None:
    await db.execute(INSERT, dedup_key, source, service, reason, payload_json, timeout=timeout)
