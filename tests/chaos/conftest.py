"""Six hosts on one machine (tests/chaos/network.py): core (Temporal dev server + PostgreSQL), two
worker hosts, two receiver hosts and a client host. The test itself runs on the client host: its
main thread enters the client namespace, so its alert senders, its SMTP and webhook sinks and the
ledger's reads of Temporal and PostgreSQL all cross the router like any other host's traffic.

Skips, saying why, where namespaces cannot be made (not Linux, not root, no iproute2, no TUN).
"""

import itertools
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest

from tests.chaos import entry_points
from tests.chaos.alerts import TOKEN
from tests.chaos.hosts import CorePostgres, CoreTemporal, HostProcess
from tests.chaos.network import Network, cannot_build, setns
from tests.chaos.sinks import Sinks

PREFIX = "chaos24-"
RECEIVER_PORT = 8080
PAGE_SECRET = "chaos-page-secret"


@dataclass
class Core:
    network: Network
    postgres: CorePostgres
    temporal: CoreTemporal


@pytest.fixture(scope="session")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    reason = cannot_build()
    if reason:
        pytest.skip(f"chaos tests need network namespaces: {reason}")
    net = Network(PREFIX)
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        net.build()
        setns(f"/run/netns/{net.namespace('client')}")
        yield net
    finally:
        setns(f"/proc/self/fd/{home}")
        os.close(home)
        net.teardown()


@pytest.fixture(scope="session")
async def core(network: Network, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Core]:
    directory = tmp_path_factory.mktemp("core")
    postgres, temporal = CorePostgres(network, directory), CoreTemporal(network, directory)
    try:
        postgres.start()
        await temporal.start()
        yield Core(network, postgres, temporal)
    finally:
        await temporal.kill()
        postgres.stop()


def child_environment(**settings: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "INCIDENT_"))}
    return {**base, "PYTHONUNBUFFERED": "1", **settings}


@dataclass
class Cluster:
    """One scenario's database, task queue, sinks, workers and receivers (killed at teardown)."""

    core: Core
    directory: Path
    database_url: str
    pool: asyncpg.Pool
    client: object
    sinks: Sinks
    task_queue: str = field(default_factory=lambda: f"chaos-{uuid.uuid4().hex[:8]}")
    processes: list[HostProcess] = field(default_factory=list)

    @property
    def network(self) -> Network:
        return self.core.network

    def settings(self, host: str) -> dict[str, str]:
        return child_environment(
            TEMPORAL_ADDRESS=self.core.temporal.address, INCIDENT_DATABASE_URL=self.database_url,
            INCIDENT_TASK_QUEUE=self.task_queue, INCIDENT_CATALOG=str(self.directory / "catalog.toml"),
            INCIDENT_SMTP_URL=self.sinks.smtp_url, INCIDENT_PAGE_SECRET=PAGE_SECRET,
            INCIDENT_PUBLIC_URL=self.receiver_url("receiver1"), INCIDENT_INGEST_TOKEN=TOKEN,
            INCIDENT_RECEIVER_HOST=self.network.address(host), INCIDENT_RECEIVER_PORT=str(RECEIVER_PORT),
            INCIDENT_WORKER_METRICS="")  # fmt: skip

    def receiver_url(self, host: str) -> str:
        return f"http://{self.network.address(host)}:{RECEIVER_PORT}"

    def alert_urls(self) -> dict[str, str]:
        return {h: f"{self.receiver_url(h)}/v1/alerts/alertmanager" for h in ("receiver1", "receiver2")}

    async def start(self, host: str) -> HostProcess:
        """The host's program: a worker on worker hosts, a receiver on receiver hosts."""
        argv, ready = ((entry_points.WORKER, entry_points.WORKER_READY) if host.startswith("worker")
                       else (entry_points.RECEIVER, entry_points.RECEIVER_READY))  # fmt: skip
        process = HostProcess(self.network, host, argv, self.settings(host), self.directory / f"{host}.log", ready)
        self.processes.append(process)
        return await process.start()

    async def kill_host(self, host: str) -> None:
        for process in self.processes:
            if process.host == host:
                await process.kill()


def chaos_catalog(directory: Path, sinks: Sinks) -> None:
    """catalog.toml and oncall.toml, every person also reachable by a JSON webhook on the client host."""
    shutil.copyfile(entry_points.CATALOG, directory / "catalog.toml")
    lines, person = [], None
    for line in entry_points.ONCALL.read_text().splitlines():
        lines.append(line)
        if line.startswith("[people."):
            person = line.split("]")[0].removeprefix("[people.").strip('"')
        elif line.startswith("email = ") and person:
            lines.append(f'webhook = "{sinks.webhook_url(person)}"')
            person = None
    (directory / "oncall.toml").write_text("\n".join(lines) + "\n")


CLUSTERS = itertools.count(1)


async def numbers_of_their_own(database_url: str) -> None:
    """Scenarios share the dev server's namespace and each has a database of its own: without this
    every one would number from INC-1001, and its alerts would signal an earlier scenario's incidents."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f"ALTER SEQUENCE incident_number_seq RESTART WITH {next(CLUSTERS) * 1_000_000 + 1001}")
    finally:
        await conn.close()


@pytest.fixture
async def cluster(core: Core, tmp_path: Path) -> AsyncIterator[Cluster]:
    sinks = Sinks(core.network.address("client"))
    await sinks.start()
    chaos_catalog(tmp_path, sinks)
    database_url = await core.postgres.create_database(f"incidents_{uuid.uuid4().hex[:8]}")
    await entry_points.migrate(database_url)
    await numbers_of_their_own(database_url)
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=10)
    client = await entry_points.connect_when_ready(core.temporal.address)
    cluster = Cluster(core, tmp_path, database_url, pool, client, sinks)
    try:
        for host in ("worker1", "worker2", "receiver1", "receiver2"):
            await cluster.start(host)
        yield cluster
    finally:
        for process in cluster.processes:
            await process.kill()
        await sinks.stop()
        pool.terminate()
