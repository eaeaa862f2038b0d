"""The audit log (`audit_log`, `audit_chain_head`): appended to, read in order, never changed (the
migration's triggers and grants refuse UPDATE, DELETE and TRUNCATE)."""

import json
from datetime import datetime
from typing import Any

import asyncpg

from domain.audit_chain import AuditEntry, ChainHead, seal


def _as_jsonb_text(value: dict | None) -> str | None:
    return None if value is None else json.dumps(value)


def _from_jsonb_text(text: str | None) -> Any:
    return None if text is None else json.loads(text)


async def append(
    conn: asyncpg.Connection,
    *,
    actor: str,
    by: str | None,
    action: str,
    target: str,
    before: dict | None,
    after: dict | None,
) -> AuditEntry:
    """Appends one entry after the chain head, in a transaction (a savepoint inside the caller's, so an
    action and its entry commit together). The head's row lock makes concurrent appends take turns.

    The hash is computed over before/after as PostgreSQL hands them back (jsonb normalizes numbers and
    drops repeated keys), so every later reading of the row hashes the same."""
    async with conn.transaction():
        head = await conn.fetchrow(
            "SELECT seq, hash, $1::jsonb AS before, $2::jsonb AS after, clock_timestamp() AS at"
            " FROM audit_chain_head FOR UPDATE",
            _as_jsonb_text(before),
            _as_jsonb_text(after),
        )
        entry = seal(
            seq=head["seq"] + 1,
            at=head["at"],
            actor=actor,
            by=by,
            action=action,
            target=target,
            before=_from_jsonb_text(head["before"]),
            after=_from_jsonb_text(head["after"]),
            prev_hash=head["hash"],
        )
        await conn.execute(
            "INSERT INTO audit_log (seq, at, actor, by, action, target, before, after, prev_hash, hash)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10)",
            entry.seq,
            entry.at,
            entry.actor,
            entry.by,
            entry.action,
            entry.target,
            head["before"],
            head["after"],
            entry.prev_hash,
            entry.hash,
        )
        await conn.execute("UPDATE audit_chain_head SET seq = $1, hash = $2", entry.seq, entry.hash)
    return entry


async def chain_head(conn: asyncpg.Connection | asyncpg.Pool) -> ChainHead:
    row = await conn.fetchrow("SELECT seq, hash FROM audit_chain_head")
    return ChainHead(seq=row["seq"], hash=row["hash"])


async def entries(
    conn: asyncpg.Connection | asyncpg.Pool,
    *,
    after_seq: int,
    since: datetime | None,
    up_to_seq: int | None,
    limit: int,
) -> list[AuditEntry]:
    """At most `limit` entries numbered after `after_seq` (and up to `up_to_seq`), in chain order, from
    the first one made at or after `since`: every entry from there on, so a clock stepping back between
    two appends leaves no hole in an export."""
    rows = await conn.fetch(
        "SELECT seq, at, actor, by, action, target, before::text AS before, after::text AS after, prev_hash, hash"
        " FROM audit_log WHERE seq > $1"
        " AND ($2::timestamptz IS NULL OR seq >= (SELECT min(seq) FROM audit_log WHERE at >= $2))"
        " AND ($3::bigint IS NULL OR seq <= $3) ORDER BY seq LIMIT $4",
        after_seq,
        since,
        up_to_seq,
        limit,
    )
    return [
        AuditEntry(
            seq=row["seq"],
            at=row["at"],
            actor=row["actor"],
            by=row["by"],
            action=row["action"],
            target=row["target"],
            before=_from_jsonb_text(row["before"]),
            after=_from_jsonb_text(row["after"]),
            prev_hash=row["prev_hash"],
            hash=row["hash"],
        )
        for row in rows
    ]
