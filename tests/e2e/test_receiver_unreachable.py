"""Temporal goes away and comes back: the receiver keeps accepting into its inbox, and everything it
accepted meanwhile reaches its workflow once Temporal is back.

test_receiver_refusals covers a Temporal that was never there (a closed port). Here the
receiver's client has talked to a real dev server, which is stopped and then started again
on the same port and SQLite file, as an operator's restart would: the same client must
notice both. The server is this module's own, never the session's `dev_server`.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen

import aiohttp
import asyncpg
import pytest_asyncio
from temporalio.client import Client
from temporalio.service import RetryConfig

from localstack.temporal import free_port, start_dev_server
from runtime.payloads import incident_data_converter
from starter.intake.alertmanager import group_route
from starter.intake.events_api import event_route
from starter.intake.payloads import AlertmanagerWebhook
from tests.e2e.receiver_support import CHECKOUT_KEY, Receiver, fresh_group, incident_of, sample, serve
from workflows.task_queues import incident_queue

BACK_WITHIN = 45.0  # seconds for the restarted server to take events again (it starts in a few)
# With the SDK's default retry config a call retries UNAVAILABLE for up to 10 s, so each 503 during
# an outage takes that long to come; a shorter budget keeps this module short and changes nothing else.
QUICK_GIVE_UP = RetryConfig(max_elapsed_time_millis=1500, max_retries=3)


async def lazy_client(address: str) -> Client:
    """Lazy, as `python -m receiver` connects: the process may start before Temporal does."""
    return await Client.connect(address, lazy=True, retry_config=QUICK_GIVE_UP,
                                data_converter=incident_data_converter)  # fmt: skip


@dataclass
class RestartableTemporal:
    """A dev server on one port and one SQLite file; stop() and start() may be called again and again."""

    directory: Path
    port: int
    process: Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        # blocking (it waits for the port): a thread, so the receiver on this event loop keeps answering
        self.process = await asyncio.to_thread(start_dev_server, self.directory / "temporal.db", self.port, None,
                                               self.directory / "server.log")  # fmt: skip

    async def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            await asyncio.to_thread(self.process.wait, 30)
        self.process = None


@pytest_asyncio.fixture(loop_scope="session")
async def temporal(tmp_path: Path) -> AsyncIterator[RestartableTemporal]:
    server = RestartableTemporal(tmp_path, free_port())
    await server.start()
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            server.process.kill()
            await asyncio.to_thread(server.process.wait, 30)


async def post_both(receiver: Receiver) -> list[tuple[str, aiohttp.ClientResponse]]:
    """A new alert group and a new event: each would open an incident of its own."""
    group = fresh_group()
    event = {**sample("alertmanager-pagerduty-v2-trigger"), "dedup_key": uuid.uuid4().hex}
    return [(group_route(AlertmanagerWebhook.model_validate(group)), await receiver.alertmanager(group)),
            (event_route(CHECKOUT_KEY, event["dedup_key"]), await receiver.enqueue(event))]  # fmt: skip


async def workflows_on(client: Client, pool: asyncpg.Pool, routes: list[str]) -> set[str]:
    """Each alert group's incident is in Temporal (numbered: INC-n); returns their workflow ids."""
    found = set()
    for route in routes:
        workflow_id = await incident_of(pool, route)
        assert workflow_id is not None and workflow_id.startswith("INC-"), f"{route} opened no incident"
        assert (await client.get_workflow_handle(workflow_id).describe()).id == workflow_id
        found.add(workflow_id)
    assert len(found) == len(routes)  # one incident per group, none twice
    return found


async def test_while_temporal_is_down_both_endpoints_keep_accepting_and_nothing_accepted_is_lost(
    temporal: RestartableTemporal, pool: asyncpg.Pool
) -> None:
    client = await lazy_client(temporal.address)
    task_queue = f"nobody-polls-{uuid.uuid4().hex[:8]}"  # in Temporal is all this test asks, not worked on
    async for receiver in serve(client, pool, task_queue):
        before = await post_both(receiver)
        assert [r.status for _, r in before] == [202, 202]
        await receiver.forwarded(BACK_WITHIN)

        await temporal.stop()
        down: list[str] = []
        for _ in range(3):  # every request, not only the first one
            for workflow_id, response in await post_both(receiver):
                assert response.status == 202, f"{response.status} while Temporal is down"
                down.append(workflow_id)
        async with receiver.http.get(f"{receiver.url}/readyz") as response:
            assert response.status == 503 and (await response.json())["failed"] == ["temporal"]
        waiting = await pool.fetchval("SELECT count(*) FROM alert_inbox WHERE channel = $1", receiver.channel)
        assert waiting == len(down)  # kept, not dropped: the forwarder cannot hand them over

        await temporal.start()  # same port, same database file
        await receiver.forwarded(BACK_WITHIN)
        opened = await workflows_on(client, pool, [route for route, _ in before] + down)
        queues = f"TaskQueue IN ('{task_queue}', '{incident_queue(task_queue, priority_key=1)}')"  # a P1: urgent
        listed = {w.id async for w in client.list_workflows(queues)}
        assert listed == opened


async def test_a_receiver_started_before_temporal_accepts_at_once_and_forwards_once_temporal_is_up(
    tmp_path: Path, pool: asyncpg.Pool
) -> None:
    """The process starts first (compose brings services up in any order): 2xx, then the workflows, never a crash."""
    server = RestartableTemporal(tmp_path, free_port())
    client = await lazy_client(server.address)
    try:
        async for receiver in serve(client, pool, f"nobody-polls-{uuid.uuid4().hex[:8]}"):
            early = await post_both(receiver)
            assert {r.status for _, r in early} == {202}
            await server.start()
            await receiver.forwarded(BACK_WITHIN)
            await workflows_on(client, pool, [route for route, _ in early])
    finally:
        await server.stop()
