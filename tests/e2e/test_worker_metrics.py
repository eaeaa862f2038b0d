"""The worker exports the SDK's Prometheus metrics (INCIDENT_WORKER_METRICS), beside the receiver's /metrics."""

import asyncio
import uuid
from pathlib import Path

import aiohttp

from localstack.temporal import free_port
from tests.conftest import CATALOG
from tests.reliability.stack import worker_env, worker_process


async def test_the_worker_serves_the_sdks_metrics_at_the_address_it_is_given(
    dev_server: str, postgres_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = worker_env(dev_server, postgres_url, f"metrics-{uuid.uuid4().hex[:8]}", CATALOG)
    worker = await worker_process({**env, "INCIDENT_WORKER_METRICS": f"127.0.0.1:{port}"}, tmp_path / "w.log").start()
    try:
        text = ""
        async with aiohttp.ClientSession() as http:
            for _ in range(100):  # the first poll makes the first samples
                async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                    assert response.status == 200
                    text = await response.text()
                if "temporal_workflow_task" in text or "temporal_long_request" in text:
                    break
                await asyncio.sleep(0.1)
        assert "# TYPE temporal_" in text, text[:2000]
        assert f"http://127.0.0.1:{port}/metrics" in worker.output()  # the address is logged at start
    finally:
        await worker.stop()
