"""Registration's write on the real Postgres (stores.incidents.register): one row per incident, whatever
the retries, its number drawn once, and the link to the incident it follows. Each test but the race runs
in a transaction that is rolled back; the race needs two sessions, so it has a database of its own."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import asyncpg

from stores import catalog, incidents
from tests.scratch_database import scratch_database

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def attempt(key: str, workflow_id: str = "INC-reg-1", **changes: Any) -> dict[str, Any]:
    """What the registration activity passes, as one attempt of it would."""
    return {"incident_key": key, "workflow_id": workflow_id, "service": "checkout", "summary": "5xx on checkout",
            "source": "cli", "logged_at": T0, "number": None, "previous_workflow_id": None, **changes}  # fmt: skip


async def rows_of(conn: asyncpg.Connection, key: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT number, previous_number, state FROM incidents WHERE incident_key = $1", key)


async def test_a_retried_registration_finds_its_row_and_draws_no_second_number(conn: asyncpg.Connection) -> None:
    first = await incidents.register(conn, **attempt("reg/a/run"))
    drawn = await conn.fetchval("SELECT last_value FROM incident_number_seq")
    again = await incidents.register(conn, **attempt("reg/a/run"))
    assert again == first
    assert first[0] == f"INC-{drawn}"
    assert await conn.fetchval("SELECT last_value FROM incident_number_seq") == drawn
    assert [tuple(r) for r in await rows_of(conn, "reg/a/run")] == [(first[0], None, "logged")]


async def test_a_reserved_number_is_the_one_written(conn: asyncpg.Connection) -> None:
    drawn = await conn.fetchval("SELECT last_value FROM incident_number_seq")
    number = await incidents.register(conn, **attempt("reg/b/run", number="INC-reg-77"))
    assert number == ("INC-reg-77", None)
    assert await conn.fetchval("SELECT last_value FROM incident_number_seq") == drawn


async def test_the_next_incident_on_a_workflow_id_is_linked_to_the_latest_before_it(conn: asyncpg.Connection) -> None:
    older, _ = await incidents.register(conn, **attempt("reg/c/run", workflow_id="INC-reg-c", number="INC-reg-c"))
    later = attempt("reg/c/run/1", workflow_id="INC-reg-c", logged_at=T0.replace(hour=10))
    number, previous = await incidents.register(conn, **later)
    assert previous == older and number != older
    # a follow-up opened under a workflow id of its own names the one it follows
    follow_up = attempt("reg/d/run", workflow_id="INC-reg-d", previous_workflow_id="INC-reg-c")
    assert (await incidents.register(conn, **follow_up))[1] == number


async def test_two_attempts_at_once_write_one_row_and_both_answer_its_number(
    pool: asyncpg.Pool, postgres_url: str
) -> None:
    async with scratch_database(pool, postgres_url, "registration") as url:
        first, second = await asyncpg.connect(url), await asyncpg.connect(url)
        try:
            await catalog.upsert(first, "checkout", "key", "{}", "{}")
            # the first attempt's row is written but not committed when the second asks: the second
            # waits on the key, then must answer with the row that won, not fail or write another
            await first.execute("BEGIN")
            won = await incidents.register(first, **attempt("reg/e/run"))
            racing = asyncio.create_task(incidents.register(second, **attempt("reg/e/run")))
            await asyncio.sleep(0.3)
            assert not racing.done()
            await first.execute("COMMIT")
            assert await racing == won
            assert len(await rows_of(second, "reg/e/run")) == 1
        finally:
            await first.close()
            await second.close()
