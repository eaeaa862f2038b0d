"""Which services are inside a maintenance window now, cached for a few seconds: read per delivery, an
alert storm would otherwise be a query storm. A window announced takes effect within REFRESH. One read
at a time: the requests that find the copy stale together wait for the same read, rather than each
taking one of the answer path's few connections (receiver.database.INTAKE_POOL_SIZE)."""

import asyncio
import time
from datetime import UTC, datetime

import asyncpg

from domain.status import Maintenance
from receiver.config import DATABASE_ERRORS
from receiver.database import bounded
from stores.maintenance import windows

REFRESH_SECONDS = 2.0


class MaintenanceUnavailable(Exception):
    """The windows could not be read and no earlier copy exists: the receiver cannot decide (503)."""


class MaintenanceWindows:
    def __init__(self, pool: asyncpg.Pool, timeout: float) -> None:
        self._pool = pool
        self._timeout = timeout
        self._windows: list[Maintenance] | None = None
        self._read_at = 0.0
        self._reading = asyncio.Lock()

    async def active(self, service: str) -> Maintenance | None:
        now = datetime.now(UTC)
        if self._stale():
            async with self._reading:
                if self._stale():  # else another request read it while this one waited
                    await self._read(now)
        windows = self._windows or []
        return next((w for w in windows if w.service == service and w.active(now)), None)

    def _stale(self) -> bool:
        return self._windows is None or time.monotonic() - self._read_at > REFRESH_SECONDS

    async def _read(self, now: datetime) -> None:
        try:
            async with bounded(self._pool, self._timeout) as conn:
                self._windows = await windows(conn, now)
            self._read_at = time.monotonic()
        except DATABASE_ERRORS as err:
            if self._windows is None:  # never read: cannot tell an alert from a maintenance one
                raise MaintenanceUnavailable(f"maintenance windows cannot be read: {err}") from None
            # the copy serves another REFRESH: while Postgres is away, not every request waits for it
            self._read_at = time.monotonic()
