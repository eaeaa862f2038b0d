"""Events refused because no agreement covers them are kept (stores/rejections.py), never dropped
silently; when Postgres cannot take the row the sender is told to retry."""

import json
from datetime import timedelta
from typing import Any

import asyncpg

from receiver.config import DATABASE_ERRORS
from receiver.database import bounded
from stores import rejections


class RejectionNotRecorded(Exception):
    """Postgres did not take the row: answer 503 so the sender retries rather than lose the event."""


async def record_rejection(
    pool: asyncpg.Pool,
    *,
    dedup_key: str,
    source: str,
    service: str | None,
    reason: str,
    payload: Any,
    timeout: timedelta,
) -> None:
    try:
        async with bounded(pool, timeout.total_seconds()) as conn:
            await rejections.reject(
                conn,
                dedup_key=dedup_key,
                source=source,
                service=service,
                reason=reason,
                payload_json=json.dumps(payload),
            )
    except DATABASE_ERRORS as err:
        raise RejectionNotRecorded(str(err)) from err
