"""What oncall.toml says about a person the API authenticated: their roles and their support groups."""

import json

import asyncpg

# A person's groups: the schedules (a schedule is its support group's) with them in a layer or an
# override of the file, and those a run-time override has them covering now.
_ROLES_AND_GROUPS = """
SELECT (SELECT person -> 'roles' FROM oncall_people WHERE name = $1)::text AS roles,
       (SELECT EXISTS (SELECT 1 FROM oncall_people WHERE name = $1)) AS known,
       ARRAY(
         SELECT s.name FROM oncall_schedules s
          WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(s.schedule -> 'layers') l WHERE l -> 'people' ? $1)
             OR EXISTS (SELECT 1 FROM jsonb_array_elements(s.schedule -> 'overrides') o WHERE o ->> 'person' = $1)
         UNION
         SELECT o.schedule FROM oncall_overrides o
          WHERE o.person = $1 AND o.removed_at IS NULL AND o.starts_at <= now() AND o.ends_at > now()
       ) AS groups
"""


async def roles_and_groups(conn: asyncpg.Connection | asyncpg.Pool, person: str) -> tuple[list[str] | None, list[str]]:
    """The roles oncall.toml gives `person` (None: not a person of oncall.toml; [] none written) and their groups."""
    row = await conn.fetchrow(_ROLES_AND_GROUPS, person)
    roles = json.loads(row["roles"]) if row["roles"] else ([] if row["known"] else None)
    return roles, sorted(row["groups"])
