"""Identities for tests that call the API: an API token made straight in the store, as an admin would."""

from collections.abc import Iterable
from datetime import datetime

import asyncpg

from domain.roles import parse_roles
from stores import api_tokens


async def issue_token(
    pool: asyncpg.Pool,
    person: str,
    roles: Iterable[str],
    *,
    expires_at: datetime | None = None,
    name: str = "test",
) -> str:
    """The plain text of a new API token acting as `person` with `roles` (domain.roles.Role names)."""
    checked = sorted(parse_roles(roles))
    _, token = await api_tokens.create(
        pool, name=name, subject=person, roles=checked, created_by="tests", expires_at=expires_at
    )
    return token
