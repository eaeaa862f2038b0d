"""The Temporal dev server SIGKILLed and started again on the same SQLite file."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from temporalio.client import Client

from domain import commands as c
from domain.commands import OpenIncident
from domain.enums import HoldReason
from starter.incidents import open_numbered
from tests.e2e.cli import Cli
from tests.reliability.conftest import FAST_SERVICE, Stack
from tests.reliability.projection import audit_all, open_many, projected_up_to_date, view_of
from tests.reliability.stack import ChildProcess, eventually
from workflows.contract import IncidentContract
from workflows.incident import IncidentWorkflow


async def steady_view(client: Client, workflow_id: str) -> dict:
    """The incident as shown, minus the countdown that changes by itself."""
    view = await view_of(client, workflow_id)
    view["sla"].pop("restore_left")
    return view


async def test_incidentctl_exits_3_naming_the_address_while_temporal_is_down_and_0_once_it_is_back(
    stack: Stack, client: Client, worker: ChildProcess, cli: Cli
):
    # incidentctl reaches Temporal through the API, which says where it could not reach it (its 503)
    async with asyncio.timeout(90):
        [view] = await open_many(client, stack, 1, "payroll", "payroll export hangs")
        number, address = view["number"], stack.temporal.address
        # a command already waiting on the server when it dies: no worker serves this incident
        stranded = await client.start_workflow(IncidentWorkflow.run, OpenIncident(service="payroll", summary="stuck"),
                                               id=f"stranded-{uuid.uuid4().hex[:8]}",
                                               task_queue=f"{stack.task_queue}-no-worker")  # fmt: skip
        waiting = asyncio.create_task(cli("-o", "json", "ack", stranded.id))
        assert (await cli("show", number)).code == 0
        # by now it has connected and sent its update (about 0.4 s); were it slower, it would meet the
        # dead server at connect instead, and the contract below is the same
        await asyncio.sleep(1.5)

        await stack.temporal.kill()
        try:
            commands = (
                ["show", number],
                ["ack", number],
                ["open", "--service", "payroll", "--summary", "payslips missing"],
            )
            listed, *results = await asyncio.gather(cli("list"), *(cli(*args) for args in commands))
            # `list` reads the record in Postgres: engineers still see their incidents while Temporal is down
            assert listed.code == 0 and number in listed.out, listed
            for args, result in zip(commands, results):
                assert (result.code, result.out) == (3, ""), (args, result)
                assert result.err.startswith(f"cannot reach Temporal at {address} ("), (args, result.err)
                assert result.err.count("\n") == 1, result.err  # one line, no traceback
            result = await waiting  # stdout stays clean: no SDK retry chatter in `-o json` or in the one line
            assert (result.code, result.out) == (3, ""), result
            assert result.err.startswith(f"cannot reach Temporal at {address} ("), result
            assert result.err.count("\n") == 1, result.err
        finally:
            await stack.temporal.start()

        async def answers_again() -> bool:
            result = await cli("show", number)
            assert result.code in (0, 3), result  # while it comes back: unreachable, never anything else
            return result.code == 0

        await eventually(answers_again, 30, "incidentctl show exits 0 after the restart", every=0.5)
        acked = await cli("-o", "json", "ack", number)  # and the worker is serving again
        assert acked.code == 0 and acked.json()["state"] == "in_progress", acked


async def test_open_incidents_and_sla_timers_survive_a_sigkill_of_the_server_and_a_breach_due_meanwhile_fires_after(
    stack: Stack, client: Client, pool: asyncpg.Pool, worker: ChildProcess
):
    async with asyncio.timeout(90):
        steady = [v["workflow_id"] for v in await open_many(client, stack, 6, "email", "spam filter down")]
        acked, held, restored = (client.get_workflow_handle(w) for w in steady[:3])
        for handle in (acked, held, restored):
            await handle.execute_update(IncidentContract.ack, c.Ack(actor="olga"))
        await held.execute_update(
            IncidentContract.hold, c.Hold(actor="olga", reason=HoldReason.SUPPLIER, text="vendor ticket")
        )
        await restored.execute_update(
            IncidentContract.workaround, c.Workaround(actor="olga", text="bypassed the filter")
        )
        fast = await open_numbered(client, pool, stack.task_queue, OpenIncident(
            service=FAST_SERVICE, summary="mail delivery queue stuck", impact=2, urgency=2), actor="olga")  # fmt: skip
        restore_due = datetime.fromisoformat(fast["sla"]["restore_due"])
        ids = [*steady, fast["workflow_id"]]

        async def settled() -> bool:
            return await projected_up_to_date(client, pool, ids)

        await eventually(settled, 20, "the projection catches up before the kill")
        before = {w: await steady_view(client, w) for w in ids}
        assert not before[fast["workflow_id"]]["sla"]["breached"]
        assert datetime.now(UTC) < restore_due - timedelta(seconds=1), "too slow: the breach came first"

        await stack.temporal.kill()
        # the server is down when the restore target passes
        await asyncio.sleep((restore_due - datetime.now(UTC)).total_seconds() + 1)
        await stack.temporal.start()

        async def breached() -> dict | None:
            view = await view_of(client, fast["workflow_id"])
            return view if view["sla"]["breached"] else None

        after_fast = await eventually(breached, 45, "the breach fires after the restart")
        assert worker.process is not None and worker.process.returncode is None, "the worker died with the server"

    breaches = [e for e in after_fast["history"] if e["action"] == "sla_breach"]
    assert len(breaches) == 1 and datetime.fromisoformat(breaches[0]["at"]) >= restore_due
    fast_before = before[fast["workflow_id"]]["history"]
    assert after_fast["history"][: len(fast_before)] == fast_before  # the timers added to it, nothing lost
    for workflow_id in steady:  # nothing was due for these: exactly as they were
        assert await steady_view(client, workflow_id) == before[workflow_id]
    query = f'TaskQueue = "{stack.task_queue}" AND ExecutionStatus = "Running"'
    running = [execution.id async for execution in client.list_workflows(query)]
    assert set(ids) <= set(running)
    await eventually(settled, 30, "the projection catches up after the restart")
    assert await audit_all(client, pool, ids) == []
