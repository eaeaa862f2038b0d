"""TLS on the receiver itself: the official `pagerduty` Python client sends only to https.

A certificate authority made for the test (trustme) signs the receiver's certificate for
127.0.0.1; the client trusts that authority alone, as a real sender would trust its company CA.
"""

import asyncio
import ssl
import uuid
from pathlib import Path

import aiohttp
import asyncpg
import pagerduty
import pytest
import trustme

from localstack.temporal import free_port
from starter.intake.events_api import event_route
from tests.e2e.receiver_support import (
    CHECKOUT_KEY,
    incident_of,
    kill_receiver_process,
    start_receiver_process,
    stop_receiver_process,
    wait_until_healthy,
)  # fmt: skip


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


def tls_files(authority: trustme.CA, directory: Path) -> dict[str, str]:
    server = authority.issue_cert("127.0.0.1", "localhost")
    cert, key = directory / "receiver.pem", directory / "receiver.key"
    server.private_key_pem.write_to_path(str(key))
    cert.write_bytes(b"".join(blob.bytes() for blob in server.cert_chain_pems))
    return {"INCIDENT_TLS_CERT": str(cert), "INCIDENT_TLS_KEY": str(key)}


async def test_the_official_pagerduty_client_triggers_an_incident_over_tls(
    authority: trustme.CA, tmp_path: Path, dev_server: str, postgres_url: str, dev_worker: str, pool: asyncpg.Pool
) -> None:
    port = free_port()
    process = await start_receiver_process(dev_server, postgres_url, dev_worker, "unused", port,
                                           **tls_files(authority, tmp_path))  # fmt: skip
    base = f"https://127.0.0.1:{port}"
    trusted = ssl.create_default_context()
    authority.configure_trust(trusted)
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=trusted)) as http:
            await wait_until_healthy(http, base, process)
        client = pagerduty.EventsApiV2Client(CHECKOUT_KEY, base_url=base, verify=trusted)
        dedup_key = f"tls-{uuid.uuid4().hex}"
        answered = await asyncio.to_thread(client.trigger, "card payments failing over TLS", "psp-gateway",
                                           dedup_key=dedup_key, severity="error",
                                           links=[{"href": "https://grafana.example/d/psp", "text": "PSP board"}])  # fmt: skip
        assert answered == dedup_key  # PagerDuty's answer, parsed by PagerDuty's own client
        with pytest.raises(pagerduty.UrlError):  # why TLS is needed: the client will not send over http
            pagerduty.EventsApiV2Client(CHECKOUT_KEY, base_url=f"http://127.0.0.1:{port}")
        untrusting = ssl.create_default_context()  # a sender that does not trust our CA is refused by TLS
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=untrusting)) as http:
                await http.get(f"{base}/healthz")
        stdout, stderr = await stop_receiver_process(process)
    finally:
        await kill_receiver_process(process)
    assert process.returncode == 0, stderr.decode()[-2000:]
    route = event_route(CHECKOUT_KEY, dedup_key)
    for _ in range(200):  # the forwarder stopped with the process: every accepted row was handed over before
        if await incident_of(pool, route):
            break
        await asyncio.sleep(0.05)
    number = await incident_of(pool, route)
    assert number is not None and number.startswith("INC-")


async def test_a_receiver_given_only_half_of_its_tls_settings_refuses_to_start_and_says_which(
    tmp_path: Path, dev_server: str, postgres_url: str, dev_worker: str
) -> None:
    process = await start_receiver_process(dev_server, postgres_url, dev_worker, "unused", free_port(),
                                           INCIDENT_TLS_CERT=str(tmp_path / "only-a-cert.pem"))  # fmt: skip
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        await kill_receiver_process(process)
    assert process.returncode == 2
    assert "INCIDENT_TLS_KEY is not set" in stderr.decode()
