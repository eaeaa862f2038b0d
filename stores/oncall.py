"""On call in Postgres: `oncall_people` and `oncall_schedules` (loaded from oncall.toml) and
`oncall_overrides` (changed at run time); who a page target means at a moment."""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import asyncpg

if TYPE_CHECKING:  # imported where used: incidentctl reads names here without loading pydantic
    from domain.oncall import Person, Schedule
    from domain.oncall_config import OnCallConfig


async def fetch_person(conn: asyncpg.Connection, name: str) -> "Person | None":
    from domain.oncall import Person

    raw = await conn.fetchval("SELECT person FROM oncall_people WHERE name = $1", name)
    return Person.model_validate_json(raw) if raw else None


async def fetch_schedule(
    conn: asyncpg.Connection, name: str, since: datetime | None = None, until: datetime | None = None
) -> "Schedule | None":
    """The schedule as loaded, with the run-time overrides that touch [since, until) (all when not given)."""
    from domain.oncall import Override, Schedule

    raw = await conn.fetchval("SELECT schedule FROM oncall_schedules WHERE name = $1", name)
    if raw is None:
        return None
    rows = await conn.fetch(
        "SELECT id, person, starts_at, ends_at, reason FROM oncall_overrides WHERE schedule = $1"
        " AND removed_at IS NULL AND ($2::timestamptz IS NULL OR ends_at > $2)"
        " AND ($3::timestamptz IS NULL OR starts_at < $3) ORDER BY created_at, id",
        name,
        since,
        until,
    )
    extra = [
        Override(id=str(r["id"]), person=r["person"], start=r["starts_at"], end=r["ends_at"], reason=r["reason"])
        for r in rows
    ]
    return Schedule.model_validate_json(raw).with_overrides(extra)


async def schedule_names(conn: asyncpg.Connection) -> list[str]:
    return [r["name"] for r in await conn.fetch("SELECT name FROM oncall_schedules ORDER BY name")]


async def people_names(conn: asyncpg.Connection) -> list[str]:
    return [r["name"] for r in await conn.fetch("SELECT name FROM oncall_people ORDER BY name")]


async def add_override(
    conn: asyncpg.Connection,
    schedule: str,
    person: str,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    created_by: str,
) -> int:
    """A person covers the schedule from `starts_at` to `ends_at`; returns the override's id."""
    return await conn.fetchval(
        "INSERT INTO oncall_overrides (schedule, person, starts_at, ends_at, reason, created_by)"
        " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        schedule,
        person,
        starts_at,
        ends_at,
        reason,
        created_by,
    )


async def overrides_ahead(conn: asyncpg.Connection, schedule: str) -> list[asyncpg.Record]:
    """The schedule's overrides in force now or later, by start: id, person, starts_at, ends_at, reason, created_by."""
    return await conn.fetch(
        "SELECT id, person, starts_at, ends_at, reason, created_by FROM oncall_overrides"
        " WHERE schedule = $1 AND removed_at IS NULL AND ends_at > now() ORDER BY starts_at",
        schedule,
    )


async def remove_override(
    conn: asyncpg.Connection, override_id: int, removed_by: str, reason_added: str
) -> asyncpg.Record | None:
    """Remove it (kept, marked removed, `reason_added` appended to its reason): its schedule and person, or
    None when no such override is in force."""
    return await conn.fetchrow(
        "UPDATE oncall_overrides SET removed_at = now(), removed_by = $2, reason = reason || $3"
        " WHERE id = $1 AND removed_at IS NULL RETURNING schedule, person",
        override_id,
        removed_by,
        reason_added,
    )


async def people_to_page(conn: asyncpg.Connection, target: str, at: datetime) -> tuple[list[str], str | None]:
    """Who `target` (schedule:X, person:P, group:G) means at `at`; and, when nobody, why."""
    kind, _, name = target.partition(":")
    if kind == "person":
        return [name], None
    schedule = await fetch_schedule(conn, name, at - timedelta(seconds=1), at + timedelta(seconds=1))
    if schedule is None:
        return [], f"no on-call schedule for {name}"
    if kind == "group":
        return schedule.people(), None
    from domain.oncall import on_call

    now = on_call(schedule, at)
    if now.person is None:
        return [], f"nobody is on call for {name} now (a hole in its schedule)"
    return [now.person], None


async def load(conn: asyncpg.Connection, config: "OnCallConfig") -> None:
    """People and schedules as the file says (run-time overrides are kept in their own table)."""
    for table, column, items in (
        ("oncall_people", "person", config.people),
        ("oncall_schedules", "schedule", config.schedules),
    ):
        await conn.execute(f"DELETE FROM {table} WHERE name <> ALL($1::text[])", list(items))
        for name, item in items.items():
            await conn.execute(
                f"INSERT INTO {table} (name, {column}) VALUES ($1, $2::jsonb) ON CONFLICT (name) DO UPDATE"
                f" SET {column} = EXCLUDED.{column}, loaded_at = now() WHERE {table}.{column} <> EXCLUDED.{column}",
                name,
                item.model_dump_json(),
            )
