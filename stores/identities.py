"""What oncall.toml says about a person the API authenticated: their roles and their support groups."""

import json

import asyncpg

from stores import api_tokens

# A person's groups: the schedules (a schedule is its support group's) with them in a layer or an
# override of the file, and those a run-time override has them covering now. {person} is an expression.
_GROUPS = """ARRAY(
  SELECT s.name FROM oncall_schedules s
   WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(s.schedule -> 'layers') l WHERE l -> 'people' ? {person})
      OR EXISTS (SELECT 1 FROM jsonb_array_elements(s.schedule -> 'overrides') o WHERE o ->> 'person' = {person})
  UNION
  SELECT o.schedule FROM oncall_overrides o
   WHERE o.person = {person} AND o.removed_at IS NULL AND o.starts_at <= now() AND o.ends_at > now())"""

_ROLES_AND_GROUPS = f"""
SELECT (SELECT person -> 'roles' FROM oncall_people WHERE name = $1)::text AS roles,
       (SELECT EXISTS (SELECT 1 FROM oncall_people WHERE name = $1)) AS known,
       {_GROUPS.format(person="$1")} AS groups
"""

# An API token in force, marked used at most once a minute, and its holder's groups: one round trip
_TOKEN_AND_GROUPS = f"""
WITH found AS (SELECT {api_tokens.COLUMNS} FROM api_tokens WHERE token_sha256 = $1 AND revoked_at IS NULL
                  AND (expires_at IS NULL OR expires_at > now())),
     touched AS (UPDATE api_tokens SET last_used_at = now() FROM found WHERE api_tokens.id = found.id
                  AND (found.last_used_at IS NULL OR found.last_used_at < now() - interval '1 minute'))
SELECT found.*, {_GROUPS.format(person="found.subject")} AS groups FROM found
"""


async def api_token_holder(
    conn: asyncpg.Connection | asyncpg.Pool, token: str
) -> tuple[api_tokens.ApiToken, list[str]] | None:
    """The API token's row and its holder's groups, when the token is in force."""
    row = await conn.fetchrow(_TOKEN_AND_GROUPS, api_tokens.token_hash(token))
    if row is None:
        return None
    fields = {key: row[key] for key in api_tokens.COLUMNS.split(", ")}
    return api_tokens.ApiToken(**{**fields, "roles": tuple(fields["roles"])}), sorted(row["groups"])


async def roles_and_groups(conn: asyncpg.Connection | asyncpg.Pool, person: str) -> tuple[list[str] | None, list[str]]:
    """The roles oncall.toml gives `person` (None: not a person of oncall.toml; [] none written) and their groups."""
    row = await conn.fetchrow(_ROLES_AND_GROUPS, person)
    roles = json.loads(row["roles"]) if row["roles"] else ([] if row["known"] else None)
    return roles, sorted(row["groups"])
