"""Session-wide real servers: embedded PostgreSQL and the Temporal dev server, started once.

The machine has 2 cores, so servers start once per test session. Time-skipping
environments are per test (they start in about half a second) because the test
server is reliable for one incident's timers at a time.
"""

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from temporalio.client import Client

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from localstack.postgres import LocalPostgres  # noqa: E402
from localstack.temporal import connect_when_ready, free_port, start_dev_server  # noqa: E402
from stores.catalog_file import load_catalog, read_catalog_file  # noqa: E402
from stores.schema import migrate  # noqa: E402
from tests.api_server import running_api  # noqa: E402
from worker import build_worker  # noqa: E402

CATALOG = PROJECT_ROOT / "catalog.toml"


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL: INCIDENT_DATABASE_URL if given, else one embedded from the wheel."""
    given = os.environ.get("INCIDENT_DATABASE_URL")
    if given:
        yield given
        return
    server = LocalPostgres(tmp_path_factory.mktemp("pg") / "data", free_port())
    url = server.start()
    yield url
    server.stop("immediate")


@pytest.fixture(scope="session")
async def pool(postgres_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(postgres_url, min_size=1, max_size=10)
    await migrate(pool)
    await load_catalog(pool, read_catalog_file(CATALOG))
    yield pool
    try:  # a failed test may leave a connection held (a receiver's forwarder, say): never hang the session on it
        await asyncio.wait_for(pool.close(), 10)
    except TimeoutError:
        pool.terminate()


@pytest.fixture(scope="session")
def dev_server_with_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The real Temporal dev server (SQLite file, WAL), search attributes registered, and its Web UI:
    (frontend address, Web UI URL)."""
    directory = tmp_path_factory.mktemp("temporal")
    port, ui_port = free_port(), free_port()
    process = start_dev_server(directory / "temporal.db", port, ui_port, directory / "server.log")
    yield f"127.0.0.1:{port}", f"http://127.0.0.1:{ui_port}"
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="session")
def dev_server(dev_server_with_ui: tuple[str, str]) -> str:
    return dev_server_with_ui[0]


@pytest.fixture(scope="session")
def web_ui(dev_server_with_ui: tuple[str, str]) -> str:
    return dev_server_with_ui[1]


@pytest.fixture(scope="session")
async def dev_client(dev_server: str) -> Client:
    return await connect_when_ready(dev_server)


@pytest.fixture(scope="session")
async def dev_worker(dev_client: Client, pool: asyncpg.Pool) -> AsyncIterator[str]:
    """A worker on its own task queue for the whole session; yields the task queue."""
    task_queue = f"incidents-{uuid.uuid4().hex[:8]}"
    worker = build_worker(dev_client, pool, task_queue)
    async with worker:
        yield task_queue


@pytest.fixture(scope="session")
async def api_url(dev_server: str, dev_worker: str, postgres_url: str, pool: asyncpg.Pool) -> AsyncIterator[str]:
    """The engineers' API (`python -m api`, a subprocess as in production) on a free port, against the
    session's dev server, the dev worker's task queue and Postgres."""
    async with running_api(dev_server, dev_worker, postgres_url) as url:
        yield url
