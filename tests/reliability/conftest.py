"""Servers the reliability tests own, because they kill them.

Never the session `dev_server`/`dev_worker`: those must outlive every other test. Here each
module starts its own Temporal dev server (SQLite file) and its workers as subprocesses
(`worker.py`), and gets its own database on an embedded Postgres that only these tests use
(one server: initdb is the slow part). Whatever is still running at teardown is killed.
"""

import shutil
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest
from temporalio.client import Client

from localstack.temporal import free_port
from stores.schema import migrate
from tests.api_identities import issue_token
from tests.conftest import CATALOG
from tests.e2e.cli import Cli
from tests.reliability.stack import ChildProcess, PostgresServer, TemporalServer, worker_env, worker_process

FAST_SERVICE = "fast-lane"
FAST_RESPONSE_SECONDS = 3
FAST_RESTORE_SECONDS = 5

# catalog.toml plus a service whose agreed times pass in seconds on the real server.
# fast-lane pages dana, then erik two seconds later, once: paging steps pass in seconds on the real server
FAST_PAGING_TOML = f"""
[[escalation_policies]]
name = "fast paging"
service = "{FAST_SERVICE}"
repeat = 0

[[escalation_policies.steps]]
page = "person:dana"
wait = "2s"

[[escalation_policies.steps]]
page = "person:erik"
wait = "60s"
"""
FAST_LANE_TOML = f"""
[[services]]
name = "{FAST_SERVICE}"
owner_group = "workplace-it"
service_manager = "sara.holm"
support_lines = ["service-desk", "workplace-it", "mail-supplier"]
integration_key = "fa57fa57fa57fa57fa57fa57fa57fa57"
stakeholders = "#it-status"
targets.P1 = {{ response = "{FAST_RESPONSE_SECONDS}s", restore = "{FAST_RESTORE_SECONDS}s" }}
targets.P2 = {{ response = "{FAST_RESPONSE_SECONDS}s", restore = "{FAST_RESTORE_SECONDS}s" }}
targets.P3 = {{ response = "{FAST_RESPONSE_SECONDS}s", restore = "{FAST_RESTORE_SECONDS}s" }}
targets.P4 = {{ response = "{FAST_RESPONSE_SECONDS}s", restore = "{FAST_RESTORE_SECONDS}s" }}
targets.P5 = {{ response = "{FAST_RESPONSE_SECONDS}s", restore = "{FAST_RESTORE_SECONDS}s" }}

[[services.categories]]
name = "delivery"
group = "workplace-it"
keywords = ["bounce", "delivery", "queue"]
"""


@dataclass
class Stack:
    """One module's servers, its database, and the workers it started (all killed at teardown)."""

    directory: Path
    temporal: TemporalServer
    postgres: PostgresServer
    database_url: str
    catalog: Path
    task_queue: str = field(default_factory=lambda: f"reliability-{uuid.uuid4().hex[:8]}")
    children: list[ChildProcess] = field(default_factory=list)

    def worker_env(self) -> dict[str, str]:
        return worker_env(self.temporal.address, self.database_url, self.task_queue, self.catalog)

    def worker(self, name: str = "worker") -> ChildProcess:
        child = worker_process(self.worker_env(), self.directory / f"{name}.log")
        self.children.append(child)
        return child

    def track(self, child: ChildProcess) -> ChildProcess:
        self.children.append(child)
        return child

    def api(self, port: int) -> ChildProcess:
        """The engineers' API (`python -m api`) on `port`, against this stack."""
        env = {**self.worker_env(), "INCIDENT_API_HOST": "127.0.0.1", "INCIDENT_API_PORT": str(port)}
        log_file = self.directory / f"api-{port}.log"
        return self.track(ChildProcess([sys.executable, "-m", "api"], env, log_file, ready_line='"api listening"'))


@dataclass
class Api:
    process: ChildProcess
    url: str


@pytest.fixture(scope="package")
async def postgres(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[PostgresServer]:
    """One embedded Postgres for these tests (initdb is the slow part); a database per module."""
    server = PostgresServer(tmp_path_factory.mktemp("reliability-pg"))
    try:
        await server.start()
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer) -> AsyncIterator[Stack]:
    directory = tmp_path_factory.mktemp("reliability")
    catalog = directory / "catalog.toml"
    shutil.copyfile(CATALOG, catalog)
    with catalog.open("a") as handle:
        handle.write(FAST_LANE_TOML)
    shutil.copyfile(CATALOG.parent / "oncall.toml", directory / "oncall.toml")  # the catalog names it
    with (directory / "oncall.toml").open("a") as handle:
        handle.write(FAST_PAGING_TOML)
    temporal = TemporalServer(directory / "temporal")
    temporal.directory.mkdir()
    await postgres.start()  # a no-op unless a test left it stopped
    database_url = await postgres.create_database(f"incidents_{uuid.uuid4().hex[:8]}")
    stack = Stack(directory, temporal, postgres, database_url, catalog)
    try:
        await temporal.start()
        yield stack
    finally:
        for child in stack.children:
            await child.kill()
        temporal.stop()


@pytest.fixture(scope="module")
async def client(stack: Stack) -> Client:
    return await stack.temporal.client()


@pytest.fixture(scope="module")
async def worker(stack: Stack) -> AsyncIterator[ChildProcess]:
    """One worker subprocess for the module (it migrates the database and loads the catalog)."""
    child = await stack.worker().start()
    yield child
    await child.kill()


@pytest.fixture(scope="module")
async def pool(stack: Stack) -> AsyncIterator[asyncpg.Pool]:
    """For the checks. Migrating here too is harmless (migrations run once, under a lock)."""
    pool = await asyncpg.create_pool(stack.database_url, min_size=1, max_size=5)
    await migrate(pool)
    yield pool
    pool.terminate()


@pytest.fixture(scope="module")
async def api(stack: Stack, pool: asyncpg.Pool) -> AsyncIterator[Api]:
    """The engineers' API for the module, started on the migrated database."""
    port = free_port()
    child = await stack.api(port).start()
    yield Api(child, f"http://127.0.0.1:{port}")
    await child.kill()


@pytest.fixture(scope="module")
async def cli(stack: Stack, api: Api, pool: asyncpg.Pool) -> Cli:
    """incidentctl through the module's API, as "tester" (incident manager and admin)."""
    token = await issue_token(pool, "tester", ("incident_manager", "admin"))
    return Cli(api.url, token)
