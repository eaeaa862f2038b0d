"""A worker SIGKILLed in the middle of 100 incidents: a new worker finishes them, Postgres stays exact."""

import asyncio
from collections.abc import Callable
from typing import Any

import asyncpg
from pydantic import BaseModel
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from domain import commands as c
from domain.commands import OpenIncident
from domain.enums import HoldReason
from starter.incidents import open_numbered
from tests.reliability.conftest import Stack
from tests.reliability.projection import OPEN_CONCURRENCY, audit_all, view_of
from tests.reliability.stack import eventually
from workflows.contract import IncidentContract as I
from workflows.contract import name_of

INCIDENTS = 100
KILL_AFTER_UPDATES = 60  # of 400: most incidents are still ahead of most of their lifecycle at the kill

Step = tuple[Callable[..., Any], Callable[[str], BaseModel]]
PATHS: list[list[Step]] = [
    [(I.ack, lambda a: c.Ack(actor=a)), (I.workaround, lambda a: c.Workaround(actor=a, text="restarted the relay")),
     (I.resolve, lambda a: c.Resolve(actor=a, resolution="relay patched")), (I.confirm, lambda a: c.Confirm(actor=a))],
    [(I.ack, lambda a: c.Ack(actor=a)), (I.hold, lambda a: c.Hold(actor=a, reason=HoldReason.CALLER, text="away")),
     (I.resume, lambda a: c.Resume(actor=a)), (I.cancel, lambda a: c.Cancel(actor=a, reason="duplicate"))],
    [(I.note, lambda a: c.Note(actor=a, text="looking")), (I.ack, lambda a: c.Ack(actor=a)),
     (I.resolve, lambda a: c.Resolve(actor=a, resolution="quota raised")), (I.confirm, lambda a: c.Confirm(actor=a))],
]  # fmt: skip
TRANSIENT = (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED)


class Progress:
    def __init__(self) -> None:
        self.done = 0
        self.reached = asyncio.Event()

    def one_more(self) -> None:
        self.done += 1
        if self.done >= KILL_AFTER_UPDATES:
            self.reached.set()


async def drive(client: Client, workflow_id: str, steps: list[Step], progress: Progress) -> list[str]:
    """Send each update once (a retry reuses its update id, so it cannot apply twice)."""
    handle = client.get_workflow_handle(workflow_id)
    states = []
    for index, (name, make) in enumerate(steps):
        while True:
            try:
                view: dict[str, Any] = await handle.execute_update(
                    name, make(f"engineer-{index % 2}"), id=f"{name_of(name)}-{index}", result_type=dict
                )
                break
            except WorkflowUpdateRPCTimeoutOrCancelledError:
                await asyncio.sleep(0.2)
            except RPCError as err:
                if err.status not in TRANSIENT:
                    raise
                await asyncio.sleep(0.2)
        states.append(view["state"])
        progress.one_more()
    return states


async def held_activities(client: Client, workflow_ids: list[str], worker_pid: int) -> int:
    """Activities the server still believes are running on the worker with `worker_pid`."""
    gate = asyncio.Semaphore(16)

    async def held(workflow_id: str) -> int:
        async with gate:
            description = await client.get_workflow_handle(workflow_id).describe()
        return sum(a.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
                   and a.last_worker_identity.startswith(f"{worker_pid}@")
                   for a in description.raw_description.pending_activities)  # fmt: skip

    return sum(await asyncio.gather(*(held(w) for w in workflow_ids)))


async def test_a_worker_killed_mid_lifecycle_loses_nothing_and_a_new_worker_closes_all_100_incidents(
    stack: Stack, client: Client, pool: asyncpg.Pool
):
    gate, progress = asyncio.Semaphore(OPEN_CONCURRENCY), Progress()
    ids: list[str] = []

    async def lifecycle(index: int) -> list[str]:
        """Open (registration, known-error check, prioritization), then the engineers' updates."""
        async with gate:
            request = OpenIncident(service="email", summary=f"mail queue stuck #{index}", impact=3, urgency=3)
            view = await open_numbered(client, pool, stack.task_queue, request, actor="reliability")
        ids.append(view["workflow_id"])
        return await drive(client, view["workflow_id"], PATHS[index % len(PATHS)], progress)

    async with asyncio.timeout(150):
        first = await stack.worker("worker-a").start()
        lifecycles = [asyncio.create_task(lifecycle(i)) for i in range(INCIDENTS)]
        await progress.reached.wait()

        # SIGKILL: no drain. Its workflow tasks and activities in flight are simply gone, some
        # incidents are still being opened, others are halfway through their updates.
        await first.kill()
        in_flight = sum(not task.done() for task in lifecycles)
        await stack.worker("worker-b").start()
        assert in_flight > 0 and await held_activities(client, list(ids), first.pid) > 0, "nothing was in flight"

        finished = await asyncio.gather(*lifecycles)
        assert [states[-1] for states in finished] == ["closed"] * INCIDENTS

        async def projected() -> bool:  # closing is an incident's last entry: its row is then complete
            return await pool.fetchval("SELECT count(*) FROM incidents WHERE state = 'closed'") == INCIDENTS

        # the activities the dead worker held are retried after their 30 s start-to-close timeout
        await eventually(projected, 90, "every incidents row reaches its workflow's last entry", every=0.5)

    assert await pool.fetchval("SELECT count(*) FROM incidents") == INCIDENTS
    assert await pool.fetchval("SELECT count(DISTINCT workflow_id) FROM incidents") == INCIDENTS
    # every update applied exactly once, in order, though some were in flight when their worker died
    for view in await asyncio.gather(*(view_of(client, w) for w in ids)):
        index = int(view["summary"].rsplit("#", 1)[1])
        engineer = [e["action"] for e in view["history"] if e["actor"].startswith("engineer-")]
        assert engineer == [name_of(name) for name, _ in PATHS[index % len(PATHS)]], (view["number"], engineer)
    assert await audit_all(client, pool, ids) == []  # events 1..n == timeline, outbox == notify lists, no failure
