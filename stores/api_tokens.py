"""API tokens in Postgres (`api_tokens`): only the SHA-256 of each token is kept.

A token reads `inc_` followed by 43 URL-safe characters (32 random bytes): the prefix lets secret
scanners and people recognize one in a log or a paste; the randomness makes a plain SHA-256 safe to
store (there is no password to brute-force), and lets the API find a token by its hash in one index
lookup on every request.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import asyncpg

TOKEN_PREFIX = "inc_"


@dataclass(frozen=True)
class ApiToken:
    id: int
    name: str
    subject: str
    roles: tuple[str, ...]
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None
    last_used_at: datetime | None


COLUMNS = "id, name, subject, roles, created_at, created_by, expires_at, revoked_at, revoked_by, last_used_at"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def looks_like_api_token(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX)


def _token(row: asyncpg.Record) -> ApiToken:
    return ApiToken(**{**dict(row), "roles": tuple(row["roles"])})


async def create(
    conn: asyncpg.Connection | asyncpg.Pool,
    *,
    name: str,
    subject: str,
    roles: list[str],
    created_by: str,
    expires_at: datetime | None,
) -> tuple[ApiToken, str]:
    """The stored token and its text, which nobody can read again after this."""
    token = new_token()
    row = await conn.fetchrow(
        "INSERT INTO api_tokens (token_sha256, name, subject, roles, created_by, expires_at)"
        f" VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}",
        token_hash(token),
        name,
        subject,
        roles,
        created_by,
        expires_at,
    )
    return _token(row), token


async def in_force(conn: asyncpg.Connection | asyncpg.Pool, token: str) -> ApiToken | None:
    """The token's row when it exists, is not revoked and has not expired (by the database's clock);
    marks it used, at most once a minute so the hot path stays a read."""
    row = await conn.fetchrow(
        f"WITH found AS (SELECT {COLUMNS} FROM api_tokens WHERE token_sha256 = $1 AND revoked_at IS NULL"
        " AND (expires_at IS NULL OR expires_at > now())),"
        " touched AS (UPDATE api_tokens SET last_used_at = now() FROM found WHERE api_tokens.id = found.id"
        " AND (found.last_used_at IS NULL OR found.last_used_at < now() - interval '1 minute'))"
        " SELECT * FROM found",
        token_hash(token),
    )
    return _token(row) if row else None


async def every_one(conn: asyncpg.Connection | asyncpg.Pool) -> list[ApiToken]:
    return [_token(r) for r in await conn.fetch(f"SELECT {COLUMNS} FROM api_tokens ORDER BY id")]


async def fetch(conn: asyncpg.Connection | asyncpg.Pool, token_id: int) -> ApiToken | None:
    row = await conn.fetchrow(f"SELECT {COLUMNS} FROM api_tokens WHERE id = $1", token_id)
    return _token(row) if row else None


async def revoke(conn: asyncpg.Connection | asyncpg.Pool, token_id: int, revoked_by: str) -> ApiToken | None:
    """Revokes it; None when there is no such token or it was revoked already."""
    row = await conn.fetchrow(
        "UPDATE api_tokens SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL"
        f" RETURNING {COLUMNS}",
        token_id,
        revoked_by,
    )
    return _token(row) if row else None
