"""A worker of release 1.0 refuses to start while incidents begun on code it cannot replay still run,
and `incidentctl releases` lists the running incidents per release (workflows/releases.py).

Each test has a namespace of its own on the dev server, so the incidents it leaves running never meet
another test's worker. The incidents are started by type name on a task queue nobody polls, as the
previous version's starters left them; the worker and incidentctl run as subprocesses, as people run them.
"""

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path

import pytest
from google.protobuf.duration_pb2 import Duration
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest, RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError

from runtime.register_search_attributes import register
from tests.api_server import running_api
from tests.conftest import CATALOG
from tests.e2e.cli import Cli
from tests.reliability.stack import worker_env, worker_process
from workflows.contract import IncidentContract
from workflows.search_attributes import INCIDENT_NUMBER, INCIDENT_RELEASE

ROOT = Path(__file__).resolve().parents[2]
UNPOLLED = "nobody-polls-this"


@dataclass
class Namespace:
    name: str
    client: Client


@pytest.fixture
async def namespace(dev_client: Client) -> AsyncIterator[Namespace]:
    name = f"releases-{uuid.uuid4().hex[:8]}"
    await dev_client.workflow_service.register_namespace(
        RegisterNamespaceRequest(namespace=name, workflow_execution_retention_period=Duration(seconds=86400))
    )
    scoped = Client(dev_client.service_client, namespace=name)
    for _ in range(300):  # the namespace registry refreshes on its own schedule
        try:
            await register(scoped)
            break
        except RPCError:
            await asyncio.sleep(0.1)
    yield Namespace(name, scoped)


async def start(ns: Namespace, number: str | None, release: str | None) -> str:
    """An incident as a starter left it, with the attributes it set at the start."""
    pairs = [SearchAttributePair(INCIDENT_NUMBER, number)] if number else []
    if release is not None:
        pairs.append(SearchAttributePair(INCIDENT_RELEASE, release))
    handle = await ns.client.start_workflow(
        IncidentContract.run, {"service": "checkout", "summary": "left running"}, id=number or f"alert-am-{uuid.uuid4().hex[:12]}",
        task_queue=UNPOLLED, search_attributes=TypedSearchAttributes(pairs),  # type: ignore[arg-type]
    )  # fmt: skip
    return handle.id


async def listed(ns: Namespace, query: str, expected: int) -> None:
    """Visibility lags the start by a moment: the guard is asked once it can see them."""
    for _ in range(100):
        if (await ns.client.count_workflows(query)).count == expected:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{query!r} never counted {expected}")


def env_for(ns: Namespace, dev_server: str, postgres_url: str, task_queue: str) -> dict[str, str]:
    return {**worker_env(dev_server, postgres_url, task_queue, CATALOG), "TEMPORAL_NAMESPACE": ns.name}


async def run_worker_to_its_exit(env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "worker.py"), env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode()


RUNNING = "WorkflowType = 'IncidentWorkflow' AND ExecutionStatus = 'Running'"


async def test_a_worker_refuses_to_start_naming_the_incidents_begun_before_1_0_or_on_an_unsupported_release(
    namespace: Namespace, dev_server: str, postgres_url: str
) -> None:
    before = await start(namespace, "INC-9001", None)
    other = await start(namespace, None, "0.9")
    await start(namespace, "INC-9002", "1.0")
    await listed(namespace, RUNNING, 3)
    task_queue = f"guarded-{uuid.uuid4().hex[:8]}"

    code, output = await run_worker_to_its_exit(env_for(namespace, dev_server, postgres_url, task_queue))

    assert code == 1, output
    assert "worker refused to start" in output and '"worker started"' not in output, output
    assert f"{before} (before 1.0)" in output and f"{other} (0.9)" in output, output
    assert "INC-9002" not in output, "an incident of 1.0 is no reason to refuse"
    assert "2 running incident(s)" in output and "Finish or cancel them with the previous version" in output
    request = DescribeTaskQueueRequest(namespace=namespace.name, task_queue=TaskQueue(name=task_queue))
    pollers = (await namespace.client.workflow_service.describe_task_queue(request)).pollers
    assert not pollers, "a refusing worker never polls"


async def test_a_worker_starts_when_every_running_incident_is_of_a_supported_release(
    namespace: Namespace, dev_server: str, postgres_url: str, tmp_path: Path
) -> None:
    await start(namespace, "INC-9003", "1.0")
    await listed(namespace, RUNNING, 1)
    env = env_for(namespace, dev_server, postgres_url, f"guarded-{uuid.uuid4().hex[:8]}")
    worker = await worker_process(env, tmp_path / "worker.log").start()
    try:
        assert "worker refused to start" not in worker.output()
    finally:
        assert await worker.stop() == 0


def api_of(namespace: Namespace, dev_server: str, postgres_url: str) -> AbstractAsyncContextManager[str]:
    """The engineers' API on this namespace (it is the API's Temporal namespace that `releases` reads)."""
    return running_api(dev_server, UNPOLLED, postgres_url, TEMPORAL_NAMESPACE=namespace.name)


async def test_incidentctl_releases_counts_running_incidents_per_release_and_names_the_unsupported_ones(
    namespace: Namespace, dev_server: str, postgres_url: str, api_token: str
) -> None:
    async with api_of(namespace, dev_server, postgres_url) as url:
        await _releases_are_counted(namespace, Cli(url, api_token))


async def _releases_are_counted(namespace: Namespace, cli: Cli) -> None:
    empty = await cli("releases")
    assert (empty.code, empty.out, empty.err) == (
        0,
        "1.0  0 running\n1.1  0 running\n1.2  0 running\n1.3  0 running\n1.4  0 running\n",
        "",
    )

    for n in range(2):
        await start(namespace, f"INC-91{n}", "1.0")
    before = await start(namespace, "INC-9200", None)
    other = await start(namespace, None, "0.9")
    await listed(namespace, RUNNING, 4)

    shown = await cli("releases")
    assert shown.code == 0, shown.err
    assert shown.out.splitlines() == [
        "1.0         2 running",
        "1.1         0 running",
        "1.2         0 running",
        "1.3         0 running",
        "1.4         0 running",
        f"0.9         1 running: {other}  (unsupported: finish or cancel them with the previous version)",
        f"before 1.0  1 running: {before}  (unsupported: finish or cancel them with the previous version)",
    ]
    as_json = await cli("-o", "json", "releases")
    assert as_json.code == 0, as_json.err
    document = as_json.json()
    assert document["current"] == "1.4"
    assert document["releases"] == [
        {"release": "1.0", "running": 2},
        {"release": "1.1", "running": 0},
        {"release": "1.2", "running": 0},
        {"release": "1.3", "running": 0},
        {"release": "1.4", "running": 0},
    ]
    assert document["unsupported"]["running"] == 2
    assert sorted(document["unsupported"]["incidents"], key=lambda i: i["release"]) == [
        {"incident": other, "release": "0.9"},
        {"incident": before, "release": "before 1.0"},
    ]
