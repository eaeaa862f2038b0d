"""Events refused because no agreement covers them are kept in `rejected_events`, never dropped silently.

The row is keyed by a dedup key, so a sender's retries and repeats of the same refused
event add nothing (ON CONFLICT DO NOTHING).
"""

import asyncio
import json
from datetime import timedelta
from typing import Any

import asyncpg

from starter.receiver.config import DATABASE_ERRORS

INSERT = ("INSERT INTO rejected_events (dedup_key, source, service, reason, payload)"
          " VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (dedup_key) DO NOTHING")  # fmt: skip


class RejectionNotRecorded(Exception):
    """Postgres did not take the row: answer 503 so the sender retries rather than lose the event."""


async def record_rejection(pool: asyncpg.Pool, *, dedup_key: str, source: str, service: str | None,
                           reason: str, payload: Any, timeout: timedelta) -> None:  # fmt: skip
    try:
        async with asyncio.timeout(timeout.total_seconds()):
            await pool.execute(INSERT, dedup_key, source, service, reason, json.dumps(payload))
    except DATABASE_ERRORS as err:
        raise RejectionNotRecorded(str(err)) from err
