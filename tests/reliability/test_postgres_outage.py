"""PostgreSQL stopped for 30 s while engineers keep working: nothing fails, nothing is lost."""

import asyncio
import time

import asyncpg
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client

from domain import commands as c
from tests.e2e.cli import Cli
from tests.reliability.conftest import FAST_SERVICE, Stack
from tests.reliability.projection import audit_all, open_many, projected_up_to_date, view_of
from tests.reliability.stack import ChildProcess, eventually
from workflows.contract import IncidentContract

OUTAGE_SECONDS = 30
INCIDENTS = 12


async def retrying_record_activities(client: Client, workflow_ids: list[str]) -> list[int]:
    """The attempt numbers of record_timeline activities that are failing and waiting to retry."""
    attempts = []
    for workflow_id in workflow_ids:
        description = await client.get_workflow_handle(workflow_id).describe()
        for activity in description.raw_description.pending_activities:
            if activity.activity_type.name == "record_timeline" and activity.HasField("last_failure"):
                assert activity.state in (PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED,
                                          PendingActivityState.PENDING_ACTIVITY_STATE_STARTED)  # fmt: skip
                attempts.append(activity.attempt)
    return attempts


async def test_a_30_second_postgres_outage_delays_the_record_but_loses_nothing_and_fails_nothing(
    stack: Stack, client: Client, pool: asyncpg.Pool, worker: ChildProcess, cli: Cli
):
    async with asyncio.timeout(OUTAGE_SECONDS + 110):
        ids = [v["workflow_id"] for v in await open_many(client, stack, INCIDENTS, "checkout", "slow pages")]
        handles = [client.get_workflow_handle(w) for w in ids]
        await asyncio.gather(*(h.execute_update(IncidentContract.ack, c.Ack(actor="ana")) for h in handles))

        async def settled() -> bool:
            return await projected_up_to_date(client, pool, ids)

        async def all_sent() -> bool:
            return not await pool.fetchval("SELECT count(*) FROM notification_outbox WHERE sent_at IS NULL")

        # quiet first: a delivery caught by the outage would wait out its own, gentler backoff (2 s .. 5 min)
        await eventually(settled, 20, "the projection catches up before the outage")
        await eventually(all_sent, 20, "notifications are out before the outage")

        # due within the outage: the agreed time must not wait for the database
        [due_soon] = await open_many(client, stack, 1, FAST_SERVICE, "fast lane jammed")
        await stack.postgres.stop()
        stopped_at = time.monotonic()
        try:
            # Temporal is up: every engineer action is accepted and answered from the workflow
            views = await asyncio.gather(*(h.execute_update(IncidentContract.note, c.Note(actor="ana", text="db down?"))
                                           for h in handles))  # fmt: skip
            assert {v["state"] for v in views} == {"in_progress"}
            await asyncio.sleep(5)
            attempts = await retrying_record_activities(client, ids)
            assert len(attempts) == INCIDENTS and min(attempts) >= 2, attempts  # failing, retried, not given up
            half = len(handles) // 2
            restored = await asyncio.gather(*(h.execute_update(IncidentContract.workaround, c.Workaround(actor="ana", text="cache on"))
                                              for h in handles[:half]))  # fmt: skip
            resolved = await asyncio.gather(*(h.execute_update(IncidentContract.resolve, c.Resolve(actor="bo", resolution="index"))
                                              for h in handles[half:]))  # fmt: skip
            assert {v["state"] for v in restored} == {"restored"} and {v["state"] for v in resolved} == {"resolved"}
            # the engineers' own tool goes through the API, which verifies who asks and appends every action
            # to the audit trail in Postgres: it acts on nothing unaudited, and says why in one line
            noted = await cli("-o", "json", "note", restored[0]["number"], "postgres restarting, record will follow")
            assert (noted.code, noted.out) == (3, ""), noted
            assert noted.err.startswith("cannot reach the incident database at 127.0.0.1:"), noted.err
            assert noted.err.count("\n") == 1, noted.err
            assert worker.process is not None and worker.process.returncode is None, "the worker died with Postgres"
            breached = await view_of(client, due_soon["workflow_id"], history=True)
            assert breached["sla"]["breached"] is True, "a breach due during the outage waited for Postgres"
            assert "sla_breach" in [e["action"] for e in breached["history"]]
            await asyncio.sleep(OUTAGE_SECONDS - (time.monotonic() - stopped_at))
        finally:
            await stack.postgres.start()

        # backoff 1, 2, 4, 8, 16 s: the attempt after ~31 s finds Postgres back (at worst the next, 30 s later)
        await eventually(settled, 65, "the projection catches up after the outage", every=1.0)

        # a delivery that was caught by the outage waits out its own backoff (1, 2, 4, 8, 16, 32 s)
        await eventually(all_sent, 60, "every notification is delivered after the outage", every=1.0)

    views = await asyncio.gather(*(view_of(client, w, history=False) for w in ids))
    assert sorted(v["state"] for v in views) == ["resolved"] * (INCIDENTS - half) + ["restored"] * half
    assert await audit_all(client, pool, ids) == []  # rows == timeline, outbox == notify lists, nothing failed
