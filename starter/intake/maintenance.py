"""Which services are inside a maintenance window now, cached for a few seconds: read per delivery, an
alert storm would otherwise be a query storm. A window announced takes effect within REFRESH."""

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

    async def active(self, service: str) -> Maintenance | None:
        now = datetime.now(UTC)
        if self._windows is None or time.monotonic() - self._read_at > REFRESH_SECONDS:
            try:
                async with bounded(self._pool, self._timeout) as conn:
                    self._windows = await windows(conn, now)
                self._read_at = time.monotonic()
            except DATABASE_ERRORS as err:
                if self._windows is None:  # never read: cannot tell an alert from a maintenance one
                    raise MaintenanceUnavailable(f"maintenance windows cannot be read: {err}") from None
                # the copy serves another REFRESH: while Postgres is away, not every request waits for it
                self._read_at = time.monotonic()
        return next((w for w in self._windows if w.service == service and w.active(now)), None)
