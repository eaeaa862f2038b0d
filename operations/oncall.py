"""On call behind the API (GET/POST/DELETE /v1/oncall/...): who is on call, the shifts ahead, and the
overrides people add and remove at run time. Reads and writes the record through stores.oncall; every
change is appended to the audit log in the same transaction, so a change and its entry land together.

Times arrive as instants (the client reads what people type in their own zone) and leave as ISO 8601.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from api.audit_trail import record, with_instants_as_text
from domain.names import unknown_name
from domain.oncall import next_change, on_call, shifts
from operations.incidents import Backends
from operations.outcomes import InvalidInput, NotFound, UnknownName
from stores import oncall as store

MAX_DAYS = 400  # shifts ahead at most: a year and a bit, as a rota is planned


class NoSuchOverride(NotFound):
    """No override by that id in force (404)."""


async def _known_group(conn: asyncpg.Connection, group: str | None) -> list[str]:
    names = await store.schedule_names(conn)
    if group is not None and group not in names:
        raise UnknownName(unknown_name("a group with an on-call schedule", group, names))
    return names


async def who(backends: Backends, group: str | None, at: datetime | None) -> list[dict[str, Any]]:
    """Per group (or one): who is on call at `at` (default now), from what, and until when."""
    at = at or datetime.now(UTC)
    async with backends.record() as conn:
        names = await _known_group(conn, group)
        rows = []
        for name in [group] if group else names:
            schedule = await store.fetch_schedule(conn, name, at - timedelta(days=1), at + timedelta(days=32))
            now, until = on_call(schedule, at), next_change(schedule, at)
            rows.append({"group": name, "person": now.person, "source": now.source, "until": until})
    return rows


async def shifts_ahead(backends: Backends, group: str, start: datetime | None, days: int) -> list[dict[str, Any]]:
    start = start or datetime.now(UTC)
    async with backends.record() as conn:
        await _known_group(conn, group)
        if not 1 <= days <= MAX_DAYS:
            raise InvalidInput(f"--days must be 1 to {MAX_DAYS} (got {days})")
        end = start + timedelta(days=days)
        schedule = await store.fetch_schedule(conn, group, start, end)
    return [
        {"person": s.person, "from": s.start, "to": s.end, "source": s.source} for s in shifts(schedule, start, end)
    ]


def _override(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "person": row["person"],
        "from": row["starts_at"],
        "to": row["ends_at"],
        "reason": row["reason"],
        "by": row["created_by"],
    }


async def overrides(backends: Backends, group: str) -> list[dict[str, Any]]:
    """The group's overrides in force now or later, by start."""
    async with backends.record() as conn:
        await _known_group(conn, group)
        return [_override(row) for row in await store.overrides_ahead(conn, group)]


async def add_override(
    backends: Backends,
    group: str,
    person: str,
    start: datetime,
    end: datetime,
    reason: str,
    actor: str,
    by: str | None,
) -> dict[str, Any]:
    """`person` covers `group` from `start` to `end`; the override as stored, with its id."""
    async with backends.record() as conn:
        await _known_group(conn, group)
        if end <= start:
            raise InvalidInput(f"--to ({end.isoformat()}) must be after --from ({start.isoformat()})")
        if await store.fetch_person(conn, person) is None:
            raise UnknownName(unknown_name("a person of oncall.toml", person, await store.people_names(conn)))
        async with conn.transaction():
            override_id = await store.add_override(conn, group, person, start, end, reason, actor)
            made = {"id": override_id, "group": group, "person": person, "from": start, "to": end, "reason": reason}
            made["by"] = actor
            await record(
                conn,
                actor=actor,
                by=by,
                action="oncall.override.add",
                target=f"{group} override {override_id}",
                before=None,
                after=with_instants_as_text(made),
            )
    return made


async def remove_override(backends: Backends, override_id: int, reason: str, actor: str, by: str | None) -> dict:
    """Removed, not deleted: the row keeps who removed it and why (appended to its reason)."""
    async with backends.record() as conn, conn.transaction():
        removed = await store.remove_override(
            conn, override_id, actor, f" (removed: {reason})" if reason else " (removed)"
        )
        if removed is None:
            raise NoSuchOverride(f"no override {override_id} in force")
        gone = {"id": override_id, "group": removed["schedule"], "person": removed["person"]}
        await record(
            conn,
            actor=actor,
            by=by,
            action="oncall.override.remove",
            target=f"{removed['schedule']} override {override_id}",
            before=gone,
            after={**gone, "removed_reason": reason},
        )
    return gone
