"""The known-error check as the worker runs it (RegistrationActivities on a real pool and tables): once
its watch listens, a check is a match in memory, no round trip to Postgres; a known error published
meanwhile is heard at its commit and matched by the next check."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import asyncpg
import pytest_asyncio

from activities.registration import KnownErrorQuery, RegistrationActivities
from domain.releases import KnownErrorDraft
from stores import known_errors

SERVICE = "payroll"  # in catalog.toml: known errors can be published for it


@pytest_asyncio.fixture(loop_scope="session")
async def checks(postgres_url: str) -> AsyncIterator[tuple[RegistrationActivities, asyncpg.Pool]]:
    pool = await asyncpg.create_pool(postgres_url, min_size=2, max_size=2)  # the watch's and one more
    activities = RegistrationActivities(pool)
    try:
        yield activities, pool
    finally:
        await activities.watch.close()
        await pool.close()


async def until(condition, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "not within the deadline"
        await asyncio.sleep(0.02)


async def test_a_listening_check_answers_from_memory_and_hears_a_publication_at_its_commit(
    checks: tuple[RegistrationActivities, asyncpg.Pool], pool: asyncpg.Pool
):
    activities, activity_pool = checks
    tag = f"tape-drive-{uuid.uuid4().hex[:8]}"
    event = KnownErrorQuery(service=SERVICE, text=f"backup failed: {tag} offline")
    assert await activities.find_known_error(event) is None

    async def listening() -> bool:
        return activities.watch.heard(SERVICE).listening

    await until(listening)
    assert await activities.find_known_error(event) is None  # read again, now vouched for by the watch
    async with AsyncExitStack() as held:  # the watch has one connection; take the other: no round trip left
        await held.enter_async_context(activity_pool.acquire())
        async with asyncio.timeout(1):
            assert await activities.find_known_error(event) is None

    async with pool.acquire() as conn:
        draft = KnownErrorDraft(service=SERVICE, match=[tag], workaround="swap the tape drive")
        added = await known_errors.add(conn, draft, actor="test", origin="incidentctl")
    try:

        async def matched() -> bool:
            found = await activities.find_known_error(event)
            return found is not None and found.id == added.known_error.id

        await until(matched, seconds=5)
    finally:
        async with pool.acquire() as conn:
            await known_errors.retire(conn, added.known_error.id, actor="test", reason="test over")
