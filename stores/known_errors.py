"""The known-error database in Postgres (`known_errors`, `known_error_audit`, `known_error_numbers`):
seeded from catalog.toml, changed at run time, audited.

Every change writes a `known_error_audit` row in the same transaction; the newest audit id of a
service is its version, which the known-error check caches against (activities/registration.py).
Every change also notifies (NOTIFY known_errors_changed, the service as payload, delivered at
commit): a worker that listens keeps its copy without asking for the version per event.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from domain.catalog import KnownError
from domain.releases import KnownErrorDraft
from stores.catalog import agreed_services

CATALOG_ACTOR = "catalog.toml"
CHANGED = "known_errors_changed"  # the notification channel
_FIELDS = ("service", "title", "match", "workaround", "problem", "release")


class KnownErrorRefused(ValueError):
    """Bad input for the known-error database; the message says what to change. Nothing was changed."""


@dataclass(frozen=True)
class Added:
    known_error: KnownError
    created: bool  # False: this release had already published it (idempotent per release and key)


def known_error_of(row: Any) -> KnownError:
    return KnownError(
        id=row["id"],
        service=row["service"],
        title=row["title"],
        match=json.loads(row["match"]),
        workaround=row["workaround"],
        problem=row["problem"],
        release=row["release"],
    )


async def fetch_live(conn: asyncpg.Connection, service: str) -> list[KnownError]:
    rows = await conn.fetch("SELECT * FROM known_errors WHERE service = $1 AND retired_at IS NULL ORDER BY id", service)
    return [known_error_of(r) for r in rows]


async def fetch_one_live(conn: asyncpg.Connection, known_error_id: str) -> KnownError | None:
    """None when it was retired, or never existed."""
    row = await conn.fetchrow("SELECT * FROM known_errors WHERE id = $1 AND retired_at IS NULL", known_error_id)
    return None if row is None else known_error_of(row)


async def version_of(conn: asyncpg.Connection, service: str) -> int:
    return await conn.fetchval("SELECT coalesce(max(id), 0) FROM known_error_audit WHERE service = $1", service)


async def _audit(conn: asyncpg.Connection, known: KnownError, action: str, actor: str, reason: str = "") -> None:
    await conn.execute(
        "WITH audited AS (INSERT INTO known_error_audit (known_error_id, service, action, actor, reason)"
        " VALUES ($1, $2, $3, $4, $5)) SELECT pg_notify($6, $2)",
        known.id,
        known.service,
        action,
        actor,
        reason,
        CHANGED,
    )


async def listen(conn: asyncpg.Connection, changed: Callable[[str], None]) -> Callable[..., None]:
    """`changed(service)` for every change committed from now on; returns the listener, for unlisten."""

    def heard(_conn: object, _pid: int, _channel: str, service: str) -> None:
        changed(service)

    await conn.add_listener(CHANGED, heard)
    return heard


async def seed_from_catalog(conn: asyncpg.Connection, known_errors: list[KnownError]) -> None:
    """The catalog's known errors as the file says; the run-time ones are left alone. One dropped
    from the file is retired (incidents it closed keep their history); one retired at run time stays
    retired. Call inside the catalog's transaction."""
    for known in known_errors:
        row = await conn.fetchrow("SELECT * FROM known_errors WHERE id = $1", known.id)
        if row is not None and row["origin"] != "catalog":
            raise KnownErrorRefused(
                f"known error {known.id} is already a run-time known error ({row['origin']});"
                " give the catalog's one another id"
            )
        if row is not None and known_error_of(row) == known:
            continue
        await conn.execute(
            "INSERT INTO known_errors (id, service, title, match, workaround, problem, release)"
            " VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET service = EXCLUDED.service,"
            " title = EXCLUDED.title, match = EXCLUDED.match, workaround = EXCLUDED.workaround,"
            " problem = EXCLUDED.problem, release = EXCLUDED.release",
            known.id,
            known.service,
            known.title,
            json.dumps(known.match),
            known.workaround,
            known.problem,
            known.release,
        )
        await _audit(conn, known, "added" if row is None else "changed", CATALOG_ACTOR)
    dropped = await conn.fetch(
        "UPDATE known_errors SET retired_at = now(), retired_by = $2, retired_reason = 'removed from catalog.toml'"
        " WHERE origin = 'catalog' AND retired_at IS NULL AND id <> ALL($1::text[]) RETURNING *",
        [k.id for k in known_errors],
        CATALOG_ACTOR,
    )
    for row in dropped:
        await _audit(conn, known_error_of(row), "retired", CATALOG_ACTOR, "removed from catalog.toml")


async def add(conn: asyncpg.Connection, draft: KnownErrorDraft, actor: str, origin: str) -> Added:
    """A new known error, numbered KE-1000 on. With a release and key, publishing again finds the first."""
    services = await agreed_services(conn)
    if draft.service not in services:
        raise KnownErrorRefused(f"unknown service {draft.service!r} (agreed services: {', '.join(services)})")
    async with conn.transaction():
        if draft.key is not None:
            row = await conn.fetchrow(
                "SELECT * FROM known_errors WHERE release IS NOT DISTINCT FROM $1 AND release_key = $2",
                draft.release,
                draft.key,
            )
            if row is not None:
                return Added(known_error_of(row), created=False)
        while True:  # skip a number the catalog happens to use
            known_id = f"KE-{await conn.fetchval('SELECT nextval($1)', 'known_error_numbers')}"
            if not await conn.fetchval("SELECT 1 FROM known_errors WHERE id = $1", known_id):
                break
        known = draft.known_error(known_id)
        await conn.execute(
            "INSERT INTO known_errors (id, service, title, match, workaround, problem, release, release_key, origin,"
            " added_by) VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10)",
            known.id,
            known.service,
            known.title,
            json.dumps(known.match),
            known.workaround,
            known.problem,
            known.release,
            draft.key,
            origin,
            actor,
        )
        await _audit(conn, known, "added", actor, f"release {known.release}" if known.release else "")
        return Added(known, created=True)


async def retire(conn: asyncpg.Connection, known_error_id: str, actor: str, reason: str) -> KnownError:
    """It no longer matches new events (fixed by a later release); retiring it twice changes nothing."""
    if not reason.strip():
        raise KnownErrorRefused("--reason is needed: say why it no longer applies (e.g. fixed in release 4.13)")
    async with conn.transaction():
        row = await conn.fetchrow("SELECT * FROM known_errors WHERE id = $1 FOR UPDATE", known_error_id)
        if row is None:
            ids = [r["id"] for r in await conn.fetch("SELECT id FROM known_errors ORDER BY length(id), id")]
            raise KnownErrorRefused(f"no known error {known_error_id} (known: {', '.join(ids) or 'none'})")
        known = known_error_of(row)
        if row["retired_at"] is None:
            await conn.execute(
                "UPDATE known_errors SET retired_at = now(), retired_by = $2, retired_reason = $3 WHERE id = $1",
                known_error_id,
                actor,
                reason,
            )
            await _audit(conn, known, "retired", actor, reason)
        return known


async def listing(conn: asyncpg.Connection, service: str | None, retired: bool) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT * FROM known_errors WHERE ($1::text IS NULL OR service = $1) AND ($2 OR retired_at IS NULL)"
        " ORDER BY service, length(id), id",
        service,
        retired,
    )
    return [
        {
            **known_error_of(r).model_dump(),
            "origin": r["origin"],
            "added_by": r["added_by"],
            "added_at": r["added_at"].isoformat(),
            "retired_at": r["retired_at"] and r["retired_at"].isoformat(),
            "retired_by": r["retired_by"],
            "retired_reason": r["retired_reason"],
        }
        for r in rows
    ]


async def every_one(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every known error, retired ones too, by id: id, service, title, match (JSON text), workaround, problem."""
    return await conn.fetch("SELECT id, service, title, match, workaround, problem FROM known_errors ORDER BY id")


async def audit_trail(conn: asyncpg.Connection, known_error_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT * FROM known_error_audit WHERE known_error_id = $1 ORDER BY id", known_error_id)
    return [
        {"at": r["at"].isoformat(), "action": r["action"], "actor": r["actor"], "reason": r["reason"]} for r in rows
    ]
