"""A migrated database of its own on the session's PostgreSQL server, for tests that change what the
session's database must keep (the audit log, the first admin, the fuzzed API): dropped afterwards."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from stores.schema import migrate


@asynccontextmanager
async def scratch_database(pool: asyncpg.Pool, postgres_url: str, prefix: str) -> AsyncIterator[str]:
    """Yields the URL of a freshly migrated database named `prefix_<random>`; `pool` is the session's,
    which creates and drops it."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    await pool.execute(f'CREATE DATABASE "{name}"')
    try:
        url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
        fresh = await asyncpg.create_pool(url, min_size=1, max_size=2)
        try:
            await migrate(fresh)
        finally:
            await fresh.close()
        yield url
    finally:
        await pool.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
