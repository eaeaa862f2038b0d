"""What the record keeps for its readers at scale (migration 012), against real PostgreSQL: the status
page's day figures and the closed-incident counts stay equal to a count from scratch through any mix of
writes, and `list`'s keyset pages hold every row exactly once while incidents are written."""

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from domain.status import RecordedIncident, day_bars
from domain.status_days import day_bars_from_figures, figure
from stores import incident_views, status_board

COLUMNS = (
    "number, service, state, outcome, priority, impact, logged_at, acknowledged_at, restored_at, resolved_at, closed_at"
)
OUTCOMES = [None, None, "resolved", "cancelled", "duplicate", "known_error"]


async def _service(pool: asyncpg.Pool, prefix: str) -> str:
    """A service of its own (withdrawn, so no other test's page shows it), with nothing recorded."""
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    await pool.execute(
        "INSERT INTO services (name, integration_key, agreement) VALUES ($1, $2, '{\"withdrawn\": true}')",
        name,
        uuid.uuid4().hex,
    )
    return name


async def _forget(pool: asyncpg.Pool, service: str) -> None:
    await pool.execute("DELETE FROM incidents WHERE service = $1", service)
    await pool.execute("DELETE FROM services WHERE name = $1", service)


class Writer:
    """Random writes of one service's incidents, as the record's writers make them: registered, then
    prioritized, restored, closed (some cancelled or duplicates), some changed after they ended, some
    removed, some written many at once, and several at the same time from different connections."""

    def __init__(self, pool: asyncpg.Pool, service: str, rng: random.Random, now: datetime) -> None:
        self.pool, self.service, self.rng, self.now = pool, service, rng, now
        self.numbers: list[str] = []

    def _when(self) -> datetime:  # half in the last days (days many incidents share), half over the 90 and more
        return self.now - timedelta(days=self.rng.uniform(0, self.rng.choice([4, 95])))

    def _ended(self, logged: datetime) -> datetime:  # up to three days later, never after now
        return min(logged + timedelta(hours=self.rng.choice([0.1, 2, 20, 30, 70])), self.now)

    async def register(self) -> None:
        number = f"INC-S{uuid.uuid4().hex[:10]}"
        await self.pool.execute(
            "INSERT INTO incidents (number, incident_key, workflow_id, service, summary, source, state, logged_at"
            " , priority, impact) VALUES ($1, $1, $1, $2, 'random', 'incidentctl', 'logged', $3, $4, $5)",
            number,
            self.service,
            self._when(),
            self.rng.choice(["P1", "P2", "P3", "P3", "P4", None]),
            self.rng.choice([1, 2, 3]),
        )
        self.numbers.append(number)

    async def many_at_once(self) -> None:
        rows = []
        for _ in range(self.rng.randint(2, 6)):
            logged = self._when()
            rows.append((f"INC-S{uuid.uuid4().hex[:10]}", logged, self._ended(logged)))
        await self.pool.execute(
            "INSERT INTO incidents (number, incident_key, workflow_id, service, summary, source, state, outcome,"
            " priority, impact, logged_at, restored_at, resolved_at, closed_at)"
            " SELECT n, n, n, $1, 'imported', 'incidentctl', 'closed', 'resolved', $2, $3, l, e, e, e"
            " FROM unnest($4::text[], $5::timestamptz[], $6::timestamptz[]) AS r(n, l, e)",
            self.service,
            self.rng.choice(["P1", "P2", "P3", "P4"]),
            self.rng.choice([1, 2, 3]),
            [r[0] for r in rows],
            [r[1] for r in rows],
            [r[2] for r in rows],
        )
        self.numbers += [r[0] for r in rows]

    async def change(self, conn: asyncpg.Connection | asyncpg.Pool) -> None:
        if not self.numbers:
            return
        number = self.rng.choice(self.numbers)
        row = await conn.fetchrow("SELECT logged_at, restored_at FROM incidents WHERE number = $1", number)
        if row is None:
            return
        end = self._ended(row["logged_at"])
        kind = self.rng.choice(["prioritize", "restore", "close", "unrestore", "impact", "impact", "breach"])
        if kind == "prioritize":
            await conn.execute(
                "UPDATE incidents SET priority = $2, impact = $3, state = CASE WHEN state = 'logged'"
                " THEN 'prioritized' ELSE state END WHERE number = $1",
                number,
                self.rng.choice(["P1", "P2", "P3", "P3", "P3", "P4", "P5", None]),
                self.rng.choice([1, 2, 3, None]),
            )
        elif kind == "impact":  # alone: widespread makes a P3 a partial outage
            await conn.execute("UPDATE incidents SET impact = $2 WHERE number = $1", number, self.rng.choice([1, 2, 3]))
        elif kind == "restore":
            await conn.execute(
                "UPDATE incidents SET restored_at = $2, state = 'restored' WHERE number = $1", number, end
            )
        elif kind == "close":
            await conn.execute(
                "UPDATE incidents SET state = 'closed', outcome = $2, resolved_at = $3, closed_at = $3 WHERE number = $1",
                number,
                self.rng.choice(OUTCOMES),
                row["restored_at"] or end,
            )
        elif kind == "unrestore":
            await conn.execute(
                "UPDATE incidents SET restored_at = NULL, closed_at = NULL, state = 'in_progress' WHERE number = $1",
                number,
            )
        else:
            await conn.execute("UPDATE incidents SET breached = NOT breached WHERE number = $1", number)

    async def remove(self) -> None:
        if self.numbers:
            number = self.numbers.pop(self.rng.randrange(len(self.numbers)))
            await self.pool.execute("DELETE FROM incidents WHERE number = $1", number)

    async def step(self) -> None:
        kind = self.rng.choices(["register", "many", "change", "together", "remove"], [4, 1, 8, 2, 1])[0]
        if kind == "register":
            await self.register()
        elif kind == "many":
            await self.many_at_once()
        elif kind == "change":
            await self.change(self.pool)
        elif kind == "together":  # writes of one service on several connections at once
            await asyncio.gather(*(self.change(self.pool) for _ in range(4)))
        else:
            await self.remove()


async def _bars_both_ways(pool: asyncpg.Pool, service: str, now: datetime) -> tuple[list[Any], list[Any]]:
    records = [RecordedIncident(**dict(r)) for r in await pool.fetch(
        f"SELECT {COLUMNS} FROM incidents WHERE service = $1", service)]  # fmt: skip
    async with pool.acquire() as conn:
        kept = [
            r
            for r in await status_board.day_figures(conn, (now - timedelta(days=89)).date())
            if r["service"] == service
        ]
    figures = {r["day"]: figure(r["day"], r["worst"], r["starts"], r["ends"]) for r in kept}
    return day_bars_from_figures(service, figures, records, now), day_bars(service, records, now)


def _same(kept: list[Any], scratch: list[Any]) -> bool:
    return len(kept) == len(scratch) and all(
        k.day == s.day and k.status == s.status and abs(k.down_seconds - s.down_seconds) < 1e-6
        and k.seconds == s.seconds
        for k, s in zip(kept, scratch, strict=True)
    )  # fmt: skip


async def test_the_day_figures_and_closed_counts_equal_a_count_from_scratch_after_any_mix_of_writes(
    pool: asyncpg.Pool,
) -> None:
    service = await _service(pool, "figures")
    seed = random.randrange(1 << 30)
    try:
        writer = Writer(pool, service, random.Random(seed), datetime.now(UTC))
        for round_ in range(12):
            writer.now = datetime.now(UTC)
            for step in range(25):
                await writer.step()
                now = datetime.now(UTC)
                kept, scratch = await _bars_both_ways(pool, service, now)
                assert _same(kept, scratch), f"seed {seed}, round {round_}, step {step}: {kept} != {scratch}"
            counts = await pool.fetch(
                "SELECT priority, breached, n FROM closed_incident_counts WHERE service = $1 AND n <> 0"
                " EXCEPT SELECT coalesce(priority, ''), breached, count(*) FROM incidents"
                " WHERE service = $1 AND state = 'closed' GROUP BY 1, 2",
                service,
            )
            closed = await pool.fetchval(
                "SELECT count(*) FROM incidents WHERE service = $1 AND state = 'closed'", service
            )
            async with pool.acquire() as conn:
                total = await incident_views.total_of(
                    conn, state="closed", priority=None, service=service, breached=False, all_=True
                )
            assert counts == [] and total == closed, f"seed {seed}, round {round_}: {counts}, {total} != {closed}"
    finally:
        await _forget(pool, service)


async def test_keyset_pages_hold_every_row_exactly_once_while_incidents_are_written(pool: asyncpg.Pool) -> None:
    service = await _service(pool, "pages")
    writer = Writer(pool, service, random.Random(7), datetime.now(UTC))
    try:
        for _ in range(60):
            await writer.register()
        for _ in range(60):
            await writer.change(pool)
        before = {r["number"] for r in await pool.fetch("SELECT number FROM incidents WHERE service = $1", service)}
        seen: list[str] = []
        after = None
        async with pool.acquire() as conn:
            while True:
                page = await incident_views.page_of(
                    conn, state=None, priority=None, service=service, breached=False, all_=True, limit=7, after=after
                )
                seen += [r["number"] for r in page]
                await asyncio.gather(writer.register(), writer.register())  # new rows land before and after
                if len(page) < 7:
                    break
                after = incident_views.page_key(page[-1])
        assert len(seen) == len(set(seen)), "a row was listed twice"
        assert before <= set(seen), f"rows never listed: {before - set(seen)}"
    finally:
        await _forget(pool, service)


async def test_two_outages_restored_on_the_same_day_are_both_in_that_days_figure(pool: asyncpg.Pool) -> None:
    service = await _service(pool, "same-day")
    writer = Writer(pool, service, random.Random(1), datetime.now(UTC))
    day = datetime.combine(writer.now.date() - timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    try:
        for hour in (2, 9):
            number = f"INC-S{uuid.uuid4().hex[:10]}"
            await pool.execute(
                "INSERT INTO incidents (number, incident_key, workflow_id, service, summary, source, state, logged_at,"
                " priority, impact) VALUES ($1, $1, $1, $2, 'outage', 'incidentctl', 'in_progress', $3, 'P1', 1)",
                number,
                service,
                day + timedelta(hours=hour),
            )
            await pool.execute(
                "UPDATE incidents SET restored_at = $2, state = 'restored' WHERE number = $1",
                number,
                day + timedelta(hours=hour + 1),
            )
        kept, scratch = await _bars_both_ways(pool, service, datetime.now(UTC))
        assert [b.down_seconds for b in kept if b.day == day.date()] == [7200.0]
        assert _same(kept, scratch)
    finally:
        await _forget(pool, service)


async def test_a_restored_incidents_day_follows_each_column_its_colour_depends_on_changed_alone(
    pool: asyncpg.Pool,
) -> None:
    """The days are written again when any one column a bar reads changes, however few the record's
    writes that change it (migration 013 asks only when one of them changed)."""
    service = await _service(pool, "one-column")
    now = datetime.now(UTC)
    logged = datetime.combine(now.date() - timedelta(days=2), datetime.min.time(), tzinfo=UTC) + timedelta(hours=3)
    number = f"INC-S{uuid.uuid4().hex[:10]}"
    changes = [  # each alone, each changing the day's bar
        ("impact", 1),  # widespread: a P3's degraded performance becomes a partial outage
        ("priority", "P4"),  # off the page
        ("priority", "P2"),
        ("outcome", "duplicate"),  # a duplicate colours nothing
        ("outcome", None),
        ("restored_at", logged + timedelta(hours=5)),  # a longer outage
        ("logged_at", logged - timedelta(hours=2)),
    ]
    try:
        await pool.execute(
            "INSERT INTO incidents (number, incident_key, workflow_id, service, summary, source, state, logged_at,"
            " priority, impact, restored_at) VALUES ($1, $1, $1, $2, 'slow', 'incidentctl', 'restored', $3, 'P3', 2, $4)",
            number,
            service,
            logged,
            logged + timedelta(hours=1),
        )
        bars = [(await _bars_both_ways(pool, service, now))[0]]
        for column, value in changes:
            await pool.execute(f"UPDATE incidents SET {column} = $2 WHERE number = $1", number, value)
            kept, scratch = await _bars_both_ways(pool, service, now)
            differ = [(k.day, k.status, s.status) for k, s in zip(kept, scratch, strict=True) if not _same([k], [s])]
            assert _same(kept, scratch), f"after {column} = {value}, kept != from scratch on {differ}"
            assert not _same(kept, bars[-1]), f"{column} = {value} should have changed the bar"
            bars.append(kept)
    finally:
        await _forget(pool, service)
