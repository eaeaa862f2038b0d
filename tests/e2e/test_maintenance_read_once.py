"""The receiver's maintenance windows (starter/intake/maintenance.py) on the real table: requests that
find the cached copy stale together share one read, so a storm's requests never take the answer path's
few connections for the same query."""

import asyncio

import asyncpg
import pytest

from starter.intake import maintenance
from starter.intake.maintenance import MaintenanceWindows


async def test_requests_finding_the_windows_stale_at_once_share_one_read(
    pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
):
    reads = 0
    read_windows = maintenance.windows

    async def counted(conn, now):  # type: ignore[no-untyped-def]
        nonlocal reads
        reads += 1
        return await read_windows(conn, now)

    monkeypatch.setattr(maintenance, "windows", counted)
    cached = MaintenanceWindows(pool, timeout=5.0)
    answers = await asyncio.gather(*(cached.active("checkout") for _ in range(32)))
    assert answers == [None] * 32 and reads == 1
    monkeypatch.setattr(maintenance, "REFRESH_SECONDS", 0.5)
    await asyncio.sleep(0.6)  # stale again
    await asyncio.gather(*(cached.active("checkout") for _ in range(32)))
    assert reads == 2
