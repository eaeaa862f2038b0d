"""One short connection for a program that runs one command and exits (incidentctl), where a pool would
only cost its start. Services that keep running (the worker, the receiver) open a pool instead."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import asyncpg

CONNECT_TIMEOUT_SECONDS = 10


class DatabaseUnreachable(Exception):
    """No connection: `where` names the server and database (never the password), `cause` says why."""

    def __init__(self, where: str, cause: BaseException) -> None:
        super().__init__(f"{where}: {cause}")
        self.where, self.cause = where, cause


def where(database_url: str) -> str:
    parts = urlsplit(database_url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or ''}"


@asynccontextmanager
async def connected(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    try:
        conn = await asyncpg.connect(database_url, timeout=CONNECT_TIMEOUT_SECONDS)
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
        raise DatabaseUnreachable(where(database_url), err) from None
    try:
        yield conn
    finally:
        await conn.close()
