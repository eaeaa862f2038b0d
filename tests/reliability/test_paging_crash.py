"""A worker killed between two paging steps neither loses nor doubles a page: the step's timer is in
Temporal, and the page's rows are keyed by incident, page, person and channel."""

import asyncio
import signal

import asyncpg
from temporalio.client import Client

from domain.commands import OpenIncident
from starter.incidents import open_numbered
from tests.e2e.catalogs import FAST_SERVICE
from tests.reliability.conftest import Stack
from tests.reliability.projection import view_of
from tests.reliability.stack import eventually


async def page_entries(client: Client, workflow_id: str) -> list[str]:
    """The pages of the policy started when the incident was logged (fast-lane's response and restore
    targets, seconds long, start pagings of their own meanwhile)."""
    return [e["detail"] for e in (await view_of(client, workflow_id))["history"]
            if e["action"] == "page" and e["detail"].endswith(": P2 logged)")]  # fmt: skip


async def test_a_worker_killed_between_two_steps_neither_loses_nor_doubles_a_page(
    stack: Stack, client: Client, pool: asyncpg.Pool
):
    first_worker = await stack.worker("pager-1").start()
    request = OpenIncident(service=FAST_SERVICE, summary="mail queue stuck for everyone", impact=1, urgency=2)
    view = await open_numbered(client, pool, stack.task_queue, request, actor="reliability")
    number = view["number"]

    async def first_page() -> bool:
        return len(await page_entries(client, number)) >= 1

    await eventually(first_page, 20, "the first step pages dana")
    await first_worker.stop(signal.SIGKILL)  # step 2 is due in 2 s: it comes while no worker runs
    await asyncio.sleep(3)
    second_worker = await stack.worker("pager-2").start()
    try:

        async def second_page() -> bool:
            return len(await page_entries(client, number)) >= 2

        await eventually(second_page, 30, "the second step pages erik after the crash")
        await asyncio.sleep(2)  # anything doubled would show by now
        pages = await page_entries(client, number)
        assert len(pages) == 2
        assert pages[0].startswith("paged dana:") and pages[1].startswith("paged erik:")
        rows = await pool.fetch("SELECT page_seq, person, count(*) AS n FROM pages WHERE number = $1"
                                " AND reason = 'P2 logged' GROUP BY page_seq, person ORDER BY page_seq", number)  # fmt: skip
        assert [(r["person"], r["n"]) for r in rows] == [("dana", 1), ("erik", 1)]  # each once: none lost, none doubled
    finally:
        await second_worker.stop()
