"""The receiver's answer path has connections of its own (receiver.database.open_intake_pool): when the
forwarder's statements hold every connection of the shared pool, as an alert storm over many groups at
once does, an Alertmanager delivery is still committed to the inbox and answered 202 within the
database timeout, not 503 after it."""

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta

import aiohttp
import asyncpg
import pytest_asyncio
from aiohttp.test_utils import TestServer
from temporalio.client import Client

from receiver.app import build_app
from receiver.config import ReceiverConfig
from receiver.database import open_intake_pool
from starter.intake.inbox import channel_of
from tests.e2e.receiver_support import TOKEN, fresh_group

DATABASE_TIMEOUT = timedelta(seconds=2)
SHARED_CONNECTIONS = 2


@pytest_asyncio.fixture(loop_scope="session")
async def busy_receiver(dev_client: Client, postgres_url: str, pool: asyncpg.Pool) -> AsyncIterator[str]:
    """A receiver (its own task queue: nobody forwards its rows) whose shared pool is held to the last
    connection, as the forwarder's calls hold it during a storm. Yields the receiver's URL."""
    config = ReceiverConfig(ingest_token=TOKEN, task_queue=f"intake-pool-{uuid.uuid4().hex[:8]}",
                            database_timeout=DATABASE_TIMEOUT)  # fmt: skip
    shared = await asyncpg.create_pool(postgres_url, min_size=SHARED_CONNECTIONS, max_size=SHARED_CONNECTIONS)
    intake = await open_intake_pool(postgres_url, DATABASE_TIMEOUT.total_seconds())
    async with AsyncExitStack() as held:
        for _ in range(SHARED_CONNECTIONS):
            await held.enter_async_context(shared.acquire())
        server = TestServer(build_app(dev_client, shared, config, intake), host="127.0.0.1")
        await server.start_server()
        try:
            yield str(server.make_url("")).rstrip("/")
        finally:
            await held.aclose()  # the forwarder gets its connection, then stops with the app
            await server.close()
            await pool.execute("DELETE FROM alert_inbox WHERE channel = $1", channel_of(dev_client, config))
            await intake.close()
            await shared.close()


async def test_a_delivery_is_answered_while_the_forwarder_holds_every_shared_connection(
    busy_receiver: str, dev_client: Client, pool: asyncpg.Pool
):
    body = fresh_group()
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{busy_receiver}/v1/alerts/alertmanager", json=body,
                             headers={"Authorization": f"Bearer {TOKEN}"}) as answer:  # fmt: skip
            assert answer.status == 202, await answer.text()
            route = (await answer.json())["route"]
    assert await pool.fetchval("SELECT count(*) FROM alert_inbox WHERE workflow_id = $1", route) == 1
