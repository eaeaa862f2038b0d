"""The audit log in real PostgreSQL: the application's role and even the table's owner cannot change or
remove an entry; what a superuser changes anyway (triggers switched off) is named by the chain; concurrent
appends keep one chain. Tampering happens in a database of its own, so the session's log stays whole."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio

from api.audit_trail import record
from domain.audit_chain import first_break
from stores import audit_log
from stores.schema import migrate


@pytest_asyncio.fixture(loop_scope="session")
async def scratch_url(pool: asyncpg.Pool, postgres_url: str) -> AsyncIterator[str]:
    """A freshly migrated database of the session's server, dropped afterwards."""
    name = f"audit_{uuid.uuid4().hex[:8]}"
    await pool.execute(f'CREATE DATABASE "{name}"')
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    scratch = await asyncpg.create_pool(url, min_size=1, max_size=2)
    try:
        await migrate(scratch)
    finally:
        await scratch.close()
    yield url
    await pool.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest_asyncio.fixture(loop_scope="session")
async def scratch(scratch_url: str) -> AsyncIterator[asyncpg.Pool]:
    scratch = await asyncpg.create_pool(scratch_url, min_size=1, max_size=12)
    yield scratch
    await scratch.close()


async def append_some(pool: asyncpg.Pool, count: int) -> None:
    for n in range(count):
        await record(
            pool,
            actor="ana",
            by="max" if n % 2 else None,
            action="incident.acknowledge",
            target=f"INC{n:04d}",
            before={"state": "New", "priority": 2.0, "note": "ü"},
            after={"state": "In Progress", "big": 1e20},
        )


async def verified(pool: asyncpg.Pool) -> str | None:
    head = await audit_log.chain_head(pool)
    entries = await audit_log.entries(pool, after_seq=0, since=None, up_to_seq=head.seq, limit=10_000)
    found = first_break(entries, head)
    return None if found is None else found.line()


async def as_superuser(pool: asyncpg.Pool, statement: str, *args: object) -> None:
    """What someone with the database's superuser can do: switch the append-only triggers off."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute(statement, *args)


async def test_appended_entries_form_one_chain_that_verifies(scratch: asyncpg.Pool) -> None:
    await append_some(scratch, 5)
    assert await verified(scratch) is None
    assert (await audit_log.chain_head(scratch)).seq == 5


async def test_fifty_concurrent_appends_keep_one_gapless_chain(scratch: asyncpg.Pool) -> None:
    await asyncio.gather(
        *(
            record(scratch, actor=f"p{n}", by=None, action="override.add", target="db", before=None, after={"n": n})
            for n in range(50)
        )
    )
    rows = await audit_log.entries(scratch, after_seq=0, since=None, up_to_seq=None, limit=100)
    assert [entry.seq for entry in rows] == list(range(1, 51))
    assert await verified(scratch) is None


async def test_the_application_role_may_append_and_read_but_not_change_or_remove(scratch: asyncpg.Pool) -> None:
    await append_some(scratch, 2)
    async with scratch.acquire() as conn:
        await conn.execute("SET ROLE incident_app")
        try:
            await record(conn, actor="ana", by=None, action="token.create", target="deploy-bot", before=None, after={})
            assert len(await audit_log.entries(conn, after_seq=0, since=None, up_to_seq=None, limit=10)) == 3
            for statement in ("UPDATE audit_log SET actor = 'eve'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
                with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
                    await conn.execute(statement)
        finally:
            await conn.execute("RESET ROLE")
    assert await verified(scratch) is None


async def test_the_tables_owner_is_refused_too_by_the_append_only_trigger(scratch: asyncpg.Pool) -> None:
    await append_some(scratch, 2)
    for statement in (
        "UPDATE audit_log SET actor = 'eve' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 2",
        "TRUNCATE audit_log",
        "UPDATE audit_chain_head SET seq = 1",
        "DELETE FROM audit_chain_head",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only|only advances"):
            await scratch.execute(statement)
    with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="does not follow the chain head"):
        await scratch.execute(
            "INSERT INTO audit_log (seq, at, actor, action, target, prev_hash, hash)"
            " VALUES (7, now(), 'eve', 'x', 'y', 'forged', 'forged')"
        )
    assert await verified(scratch) is None


async def test_a_row_altered_by_a_superuser_is_named_by_verify(scratch: asyncpg.Pool) -> None:
    await append_some(scratch, 6)
    await as_superuser(scratch, 'UPDATE audit_log SET before = \'{"state": "Closed"}\' WHERE seq = 4')
    assert (await verified(scratch)).startswith("entry 4 (")


async def test_a_row_deleted_by_a_superuser_is_named_by_verify(scratch: asyncpg.Pool) -> None:
    await append_some(scratch, 6)
    await as_superuser(scratch, "DELETE FROM audit_log WHERE seq = 3")
    assert await verified(scratch) == "entry 3 was removed: entry 2 is followed by entry 4"


async def test_the_newest_row_deleted_by_a_superuser_is_named_by_verify(scratch: asyncpg.Pool) -> None:
    await append_some(scratch, 3)
    await as_superuser(scratch, "DELETE FROM audit_log WHERE seq = 3")
    assert await verified(scratch) == "entry 3 was removed: the log ends at entry 2 but its head says 3"
