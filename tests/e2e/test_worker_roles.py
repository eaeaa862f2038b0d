"""The worker's roles, run as operators run them (`python worker.py --role ...`, subprocesses): the urgent
role alone pages a P1 (release 1.2 pages a P1 on its own queue), the bulk role polls the incidents and the
paging queue (every other incident's pages), never the urgent one, and runs at a lower CPU priority, the default serves every queue, and the split worker (`make run`, docker-compose.yml) runs both
roles, drains both on SIGTERM and fails as a whole when one of them dies."""

import asyncio
import json
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest_asyncio
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from tests.conftest import CATALOG
from tests.e2e.receiver_support import Receiver, fresh_group, incident_of, serve
from tests.reliability.stack import WORKER, ChildProcess, eventually, worker_env
from workflows.task_queues import incident_queue, paging_queue


async def pollers(client: Client, task_queue: str) -> set[str]:
    """The identities (pid@host) polling `task_queue` for workflow or activity tasks lately."""
    found: set[str] = set()
    for kind in (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY):
        request = DescribeTaskQueueRequest(namespace=client.namespace, task_queue=TaskQueue(name=task_queue),
                                           task_queue_type=kind)  # fmt: skip
        found |= {p.identity for p in (await client.workflow_service.describe_task_queue(request)).pollers}
    return found


def queues_of(task_queue: str) -> dict[str, str]:
    return {"incidents": task_queue, "urgent": incident_queue(task_queue, 1), "paging": paging_queue(task_queue)}


def niceness(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


@dataclass
class Queue:
    """A task queue of these tests' own, which no session worker polls, and a receiver starting incidents on it."""

    name: str
    receiver: Receiver
    temporal: str
    database_url: str

    def worker(self, log: Path, *args: str) -> ChildProcess:
        env = worker_env(self.temporal, self.database_url, self.name, CATALOG)
        return ChildProcess([sys.executable, str(WORKER), *args], env, log, ready_line='"worker started"')


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def queue(dev_client: Client, pool: asyncpg.Pool, dev_server: str, postgres_url: str) -> AsyncIterator[Queue]:
    name = f"roles-{uuid.uuid4().hex[:8]}"
    async for receiver in serve(dev_client, pool, name):
        yield Queue(name, receiver, dev_server, postgres_url)


def started_roles(split: ChildProcess) -> dict[str, int]:
    """role -> pid, as the split worker's "worker started" line names them."""
    return json.loads(next(line for line in split.output().splitlines() if '"worker started"' in line))["pids"]


async def a_p1_is_paged(receiver: Receiver, pool: asyncpg.Pool) -> str:
    route = (await (await receiver.alertmanager(fresh_group(severity="critical"))).json())["route"]  # checkout, P1

    async def paged() -> str | None:
        number = await incident_of(pool, route)
        return (
            number if number and await pool.fetchval("SELECT count(*) FROM pages WHERE number = $1", number) else None
        )

    return await eventually(paged, 30, "the P1's page")


async def test_the_urgent_role_alone_pages_a_p1_and_the_bulk_role_never_polls_its_queue(
    queue: Queue, pool: asyncpg.Pool, dev_client: Client, tmp_path: Path
):
    queues = queues_of(queue.name)
    urgent = await queue.worker(tmp_path / "urgent.log", "--role", "urgent").start()
    try:
        await a_p1_is_paged(queue.receiver, pool)
        assert niceness(urgent.pid) == niceness(os.getpid())
    finally:
        assert await urgent.stop() == 0
    bulk = await queue.worker(tmp_path / "bulk.log", "--role", "incidents").start()
    try:
        mine = f"{bulk.pid}@"

        async def polling_its_queues() -> bool:
            polled = [await pollers(dev_client, queues[name]) for name in ("incidents", "paging")]
            return all(any(p.startswith(mine) for p in identities) for identities in polled)

        await eventually(polling_its_queues, 20, "the bulk role polling the incidents and paging queues")
        assert not any(p.startswith(mine) for p in await pollers(dev_client, queues["urgent"]))
        assert niceness(bulk.pid) == niceness(os.getpid()) + 10  # the OS favours the urgent role
    finally:
        assert await bulk.stop() == 0


async def test_the_default_worker_polls_every_queue_from_one_process(queue: Queue, dev_client: Client, tmp_path: Path):
    every = await queue.worker(tmp_path / "worker.log").start()
    try:
        mine = f"{every.pid}@"

        async def polling_all() -> bool:
            polled = [await pollers(dev_client, name) for name in queues_of(queue.name).values()]
            return all(any(p.startswith(mine) for p in identities) for identities in polled)

        await eventually(polling_all, 20, "one process polling the incidents, urgent and paging queues")
    finally:
        assert await every.stop() == 0


async def test_the_split_worker_pages_drains_both_roles_on_sigterm_and_stops_as_a_whole_when_one_dies(
    queue: Queue, pool: asyncpg.Pool, tmp_path: Path
):
    split = await queue.worker(tmp_path / "split.log", "--role", "split").start()
    roles = started_roles(split)
    try:
        await a_p1_is_paged(queue.receiver, pool)
        assert niceness(roles["incidents"]) == niceness(roles["urgent"]) + 10
    finally:
        assert await split.stop() == 0
    assert split.output().count('"worker stopped"') == 3  # each role drained, then the split worker
    assert not any(Path(f"/proc/{pid}").exists() for pid in roles.values())

    split = await queue.worker(tmp_path / "split.log", "--role", "split").start()
    roles = started_roles(split)
    try:
        os.kill(roles["urgent"], signal.SIGKILL)  # the P1s' process crashes: nobody must go on with half the queues
        assert split.process is not None
        assert await asyncio.wait_for(split.process.wait(), 40) == 1
    finally:
        await split.kill()  # its roles die with it
    assert "worker role exited; stopping the others" in split.output()
    assert not Path(f"/proc/{roles['incidents']}").exists()
