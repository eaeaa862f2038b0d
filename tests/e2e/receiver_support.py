"""What the receiver tests share: the app on a loopback port, the recorded samples, and patient queries."""

import asyncio
import copy
import json
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.commands import ViewRequest
from receiver.app import build_app
from receiver.config import ReceiverConfig
from starter.intake.inbox import channel_of
from workflows.incident import IncidentWorkflow

SAMPLES = Path(__file__).parent / "samples"
TOKEN = f"test-token-{uuid.uuid4().hex}"
QUERY_TIMEOUT = timedelta(seconds=10)  # a loaded CI machine is slow, but never this slow
CHECKOUT_KEY = "abcdef0123456789abcdef0123456789"  # catalog.toml: checkout's integration key


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / f"{name}.json").read_text())


def fresh_group(name: str = "alertmanager-v4-firing", **labels: str) -> dict[str, Any]:
    """A recorded webhook with its own groupKey, so each test has its own incident."""
    body = copy.deepcopy(sample(name))
    body["groupKey"] = body["groupKey"] + f"/{uuid.uuid4().hex[:8]}"
    for key, value in labels.items():
        body["commonLabels"][key] = value
        for alert in body["alerts"]:
            alert["labels"][key] = value
    return body


def with_status(body: dict[str, Any], status: str) -> dict[str, Any]:
    body = copy.deepcopy(body)
    body["status"] = status
    for alert in body["alerts"]:
        alert["status"] = status
    return body


@dataclass
class Receiver:
    url: str
    http: aiohttp.ClientSession
    client: Client
    app: web.Application
    pool: asyncpg.Pool
    channel: str  # its rows in alert_inbox

    async def alertmanager(self, body: Any, token: str | None = TOKEN) -> aiohttp.ClientResponse:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        async with self.http.post(f"{self.url}/v1/alerts/alertmanager", json=body, headers=headers) as response:
            await response.read()
            return response

    async def enqueue(self, body: Any) -> aiohttp.ClientResponse:
        async with self.http.post(f"{self.url}/v2/enqueue", json=body) as response:
            await response.read()
            return response

    async def post(self, path: str, body: Any, token: str | None = None) -> tuple[int, Any]:
        """Any JSON endpoint: its status and its JSON answer."""
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        async with self.http.post(f"{self.url}{path}", json=body, headers=headers) as response:
            return response.status, await response.json()

    async def view(self, route: str) -> dict[str, Any]:
        """The current incident of an alert group (its route), or of an incident's workflow id."""
        return await view_of(self.client, await incident_of(self.pool, route) or route)

    async def view_when(self, route: str, ready: Callable[[dict[str, Any]], bool],
                        timeout: float = 20.0) -> dict[str, Any]:  # fmt: skip
        return await view_when(self.client, route, ready, timeout, self.pool)

    async def forwarded(self, timeout: float = 20.0) -> None:
        """A test that checks that something did NOT happen waits for this first, or it would pass vacuously."""
        await inbox_drained(self.pool, self.channel, timeout)


async def view_of(client: Client, workflow_id: str) -> dict[str, Any]:
    handle = client.get_workflow_handle_for(IncidentWorkflow.run, workflow_id)
    return await handle.query(IncidentWorkflow.view, ViewRequest(), rpc_timeout=QUERY_TIMEOUT)


async def incident_of(pool: asyncpg.Pool, route: str) -> str | None:
    """The incident (INC-n) an alert group's route feeds now, once the forwarder opened it."""
    if route.startswith("INC-"):
        return route
    return await pool.fetchval("SELECT workflow_id FROM alert_routes WHERE route = $1 AND started"
                               " ORDER BY updated_at DESC LIMIT 1", route)  # fmt: skip


async def view_when(client: Client, route: str, ready: Callable[[dict[str, Any]], bool],
                    timeout: float = 20.0, pool: asyncpg.Pool | None = None) -> dict[str, Any]:  # fmt: skip
    """A 2xx comes before the forwarder's call, and registration after it: wait for the incident to get there.

    `route`: an alert group's (the receiver's answer says it), followed to its current incident
    through alert_routes (so `pool` is needed), or an incident's own workflow id."""
    deadline = time.monotonic() + timeout
    view: dict[str, Any] = {}
    while time.monotonic() < deadline:
        workflow_id = await incident_of(pool, route) if pool is not None else route
        if workflow_id is None:
            view = {"not yet opened": route}
            await asyncio.sleep(0.05)
            continue
        try:
            view = await view_of(client, workflow_id)
        except RPCError as err:
            if err.status is not RPCStatusCode.NOT_FOUND:
                raise
            view = {"not yet started": workflow_id}
        else:
            if ready(view):
                return view
        await asyncio.sleep(0.05)
    raise AssertionError(f"{workflow_id} never got there; last view: {view}")


async def inbox_drained(pool: asyncpg.Pool, channel: str, timeout: float = 20.0) -> None:
    """Wait until the forwarder has handed every accepted delivery of `channel` to Temporal."""
    deadline = time.monotonic() + timeout
    while await pool.fetchval("SELECT count(*) FROM alert_inbox WHERE channel = $1", channel):
        assert time.monotonic() < deadline, f"inbox rows of {channel} not forwarded within {timeout}s"
        await asyncio.sleep(0.05)


async def serve(client: Client, pool: asyncpg.Pool, task_queue: str, page_secret: str = "") -> AsyncIterator[Receiver]:
    # one token for both bearer endpoints, so schemathesis can send it to each
    config = ReceiverConfig(ingest_token=TOKEN, task_queue=task_queue, page_secret=page_secret, release_token=TOKEN)
    app = build_app(client, pool, config)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        yield Receiver(str(server.make_url("")).rstrip("/"), http, client, app, pool, channel_of(client, config))
    await server.close()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def receiver(dev_client: Client, pool: asyncpg.Pool, dev_worker: str) -> AsyncIterator[Receiver]:
    async for running in serve(dev_client, pool, dev_worker):
        yield running


def prioritized(view: dict[str, Any]) -> bool:
    return view["priority"] is not None


async def wait_until_healthy(http: aiohttp.ClientSession, url: str, process: asyncio.subprocess.Process) -> None:
    for _ in range(300):
        if process.returncode is not None:
            raise AssertionError(f"receiver exited with {process.returncode}")
        try:
            async with http.get(f"{url}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("receiver never answered /healthz")


async def start_receiver_process(
    temporal: str, database_url: str, task_queue: str, token: str, port: int, log_level: str = "info", **extra_env: str
) -> asyncio.subprocess.Process:
    """`python -m receiver` as an operator runs it, on a loopback port."""
    env = {**os.environ, "TEMPORAL_ADDRESS": temporal, "INCIDENT_DATABASE_URL": database_url,
           "INCIDENT_TASK_QUEUE": task_queue, "INCIDENT_INGEST_TOKEN": token, "INCIDENT_LOG_LEVEL": log_level,
           "INCIDENT_RECEIVER_HOST": "127.0.0.1", "INCIDENT_RECEIVER_PORT": str(port), **extra_env}  # fmt: skip
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "receiver", cwd=Path(__file__).resolve().parents[2], env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def stop_receiver_process(process: asyncio.subprocess.Process) -> tuple[bytes, bytes]:
    """SIGTERM, as an operator stops it; returns what it wrote (stdout, stderr) once it exited."""
    process.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(process.communicate(), timeout=30)


async def kill_receiver_process(process: asyncio.subprocess.Process) -> None:
    """After a failed test: never leave the process behind."""
    if process.returncode is None:
        process.kill()
        await process.wait()
