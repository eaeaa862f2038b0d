"""The incident database for incidentctl: `list`, `report`, `catalog`, and `open`'s checks.

One short connection per command. A database that cannot be reached is exit 3, naming where it
was looked for (never the password).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from starter.incidentctl.main import Unreachable, why_unreachable

CONNECT_TIMEOUT_SECONDS = 10


def where(database_url: str) -> str:
    parts = urlsplit(database_url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or ''}"


@asynccontextmanager
async def connected(database_url: str) -> AsyncIterator[Any]:
    import asyncpg

    try:
        conn = await asyncpg.connect(database_url, timeout=CONNECT_TIMEOUT_SECONDS)
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
        raise Unreachable(f"cannot reach the incident database at {where(database_url)} ({why_unreachable(err)})"
                          ) from None  # fmt: skip
    try:
        yield conn
    finally:
        await conn.close()


async def agreed_services(conn: Any) -> list[str]:
    rows = await conn.fetch("SELECT name FROM services WHERE NOT coalesce((agreement->>'withdrawn')::boolean, false)"
                            " ORDER BY name")  # fmt: skip
    return [r["name"] for r in rows]
