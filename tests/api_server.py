"""The engineers' API as its own process (`python -m api`), as production runs it, for tests: on a free
port against a given Temporal server, task queue and database; stopped with SIGTERM (its clean drain)."""

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from localstack.temporal import free_port

PROJECT_ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 60
STOP_SECONDS = 35  # more than the API's drain


@asynccontextmanager
async def running_api(temporal_address: str, task_queue: str, database_url: str, **env: str) -> AsyncIterator[str]:
    """Yields the API's URL once it answers; its log goes to the test's output. It must then exit 0 on
    SIGTERM, having drained (a clean stop, as a deployment's rolling restart sends it)."""
    port = free_port()
    environment = {**os.environ, "TEMPORAL_ADDRESS": temporal_address, "INCIDENT_TASK_QUEUE": task_queue,
                   "INCIDENT_DATABASE_URL": database_url, "INCIDENT_API_HOST": "127.0.0.1",
                   "INCIDENT_API_PORT": str(port), **env}  # fmt: skip
    process = subprocess.Popen([sys.executable, "-m", "api"], env=environment, cwd=PROJECT_ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert process.poll() is None, f"python -m api exited {process.returncode} before it answered"
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, f"python -m api did not answer on {url} in {START_SECONDS}s"
                await asyncio.sleep(0.05)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.to_thread(process.wait, STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(f"python -m api did not drain and exit in {STOP_SECONDS}s of SIGTERM") from None
    assert code == 0, f"python -m api exited {code} on SIGTERM: a drain is a clean exit"
