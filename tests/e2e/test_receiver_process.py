"""`python -m receiver` as an operator runs it: configured by the environment, drained by SIGTERM."""

import json
import uuid

import aiohttp

from localstack.temporal import free_port
from tests.e2e.receiver_support import (
    fresh_group,
    kill_receiver_process,
    start_receiver_process,
    stop_receiver_process,
    wait_until_healthy,
)


async def test_the_receiver_process_takes_alerts_then_exits_0_on_sigterm_without_logging_tokens(
    dev_server: str, postgres_url: str, dev_worker: str
) -> None:
    token, wrong = f"secret-{uuid.uuid4().hex}", f"guess-{uuid.uuid4().hex}"
    port = free_port()
    process = await start_receiver_process(dev_server, postgres_url, dev_worker, token, port)
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            await wait_until_healthy(http, url, process)
            for bearer, expected in ((token, 202), (wrong, 401)):
                async with http.post(f"{url}/v1/alerts/alertmanager", json=fresh_group(),
                                     headers={"Authorization": f"Bearer {bearer}"}) as response:  # fmt: skip
                    assert response.status == expected
        stdout, stderr = await stop_receiver_process(process)
    finally:
        await kill_receiver_process(process)
    assert process.returncode == 0, stderr.decode()[-2000:]
    logs = [json.loads(line) for line in stderr.decode().splitlines() if line.startswith("{")]
    assert {"receiver listening", "receiver draining", "receiver stopped"} <= {line["event"] for line in logs}
    assert token not in stderr.decode() + stdout.decode() and wrong not in stderr.decode()
