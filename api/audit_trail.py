"""What every route that changes something calls once it has: one entry in the hash-chained audit log."""

from datetime import datetime
from typing import Any

import asyncpg

from stores import audit_log


async def record(
    pool_or_conn: asyncpg.Pool | asyncpg.Connection,
    *,
    actor: str,
    by: str | None,
    action: str,
    target: str,
    before: dict | None,
    after: dict | None,
) -> None:
    """Appends who (`actor`, and `by` when someone acted on their behalf) did what (`action`, e.g.
    "incident.acknowledge", "oncall.override.add") to what (`target`, e.g. an incident number), with the
    state before and after. Given a connection inside a transaction, the entry commits or rolls back with
    the caller's change."""
    if isinstance(pool_or_conn, asyncpg.Pool):
        async with pool_or_conn.acquire() as conn:
            await audit_log.append(conn, actor=actor, by=by, action=action, target=target, before=before, after=after)
        return
    await audit_log.append(pool_or_conn, actor=actor, by=by, action=action, target=target, before=before, after=after)


def with_instants_as_text(fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` as an entry's before or after holds them: instants as ISO 8601 text."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items()}
