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

from runtime.database_sessions import SERVER_SETTINGS, keep_session
from stores.alert_routes import CONNECTIONS_AT_ONCE, URGENT_CONNECTIONS

# The answer path's own connections (inbox inserts, catalog and maintenance reads, rejected events):
# an answer never queues for a connection behind the forwarder's statements, which under a storm of
# many alert groups at once keep every connection of the shared pool busy (make bench B13). Three: the
# inbox writes one batch at a time, and the catalog's and the maintenance windows' refreshes (one read
# at a time each) may run beside it.
INTAKE_POOL_SIZE = 3
ROUTES_POOL_SIZE = CONNECTIONS_AT_ONCE + URGENT_CONNECTIONS  # the storm's lanes and the P1s'


async def open_intake_pool(database_url: str, timeout: float) -> asyncpg.Pool:
    """No connection opened before the first request (Postgres may be down at start: /readyz says so);
    none of the answer path's statements leaves session state behind, so releases skip the reset."""
    return await _pool_without_resets(database_url, timeout, INTAKE_POOL_SIZE)


async def open_routes_pool(database_url: str, timeout: float) -> asyncpg.Pool:
    """The forwarder's alert-route statements (stores.alert_routes: one statement each, no session
    state): connections of their own, released without the reset round trip that was a sixth of the
    receiver's samples under a storm of new incidents (make bench B13, BENCH_CPUS=1)."""
    return await _pool_without_resets(database_url, timeout, ROUTES_POOL_SIZE)


async def _pool_without_resets(database_url: str, timeout: float, size: int) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        database_url,
        min_size=0,
        max_size=size,
        timeout=timeout,
        server_settings=SERVER_SETTINGS,
        reset=keep_session,
    )


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
