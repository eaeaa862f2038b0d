"""A pooled connection for at most the database timeout, acquiring included.

asyncpg bounds a query with `timeout=` but not what follows it: on the way back to the pool it
sends a cancel request on a new connection and resets the session, both unbounded, so a query
cut short by a network that drops packets would keep its caller waiting for minutes. Past the
deadline the connection is dropped instead; the pool opens a fresh one for the next caller.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg


@asynccontextmanager
async def bounded(pool: asyncpg.Pool, seconds: float) -> AsyncIterator[asyncpg.Connection]:
    """TimeoutError after `seconds`, however far acquiring or the statements got."""
    async with asyncio.timeout(seconds), pool.acquire() as conn:
        try:
            yield conn
        except (asyncio.CancelledError, TimeoutError):
            # a statement cut short (the deadline, or the request went away) leaves the session in a
            # state only Postgres' answer would settle: drop it rather than wait for that answer
            with contextlib.suppress(asyncpg.InterfaceError):  # asyncpg may have dropped it already
                conn.terminate()
            raise
