"""Timestamps a database cannot store, sent as real senders send them: the official `pagerduty` Python
client for change events and alerts (over TLS, the only way it sends), Alertmanager's webhook with its
bearer token. `9999-12-31T23:59:59-01:00` falls after 9999 and `0001-01-01T00:00:00+01:00` before year
1 once in UTC: each is a 400 naming the field, nothing is stored, and the sender does not retry; the same
instants written so that they stay within the years 1 to 9999 are accepted (a change is stored, an
alert opens its incident).
"""

import asyncio
import ssl
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import pagerduty
import pytest
import pytest_asyncio
import trustme
from temporalio.client import Client

from localstack.temporal import free_port
from starter.intake.alertmanager import WORKFLOW_PREFIX
from starter.intake.deliveries import stable_id
from starter.intake.events_api import event_route
from tests.e2e.receiver_support import (
    CHECKOUT_KEY,
    TOKEN,
    fresh_group,
    incident_of,
    kill_receiver_process,
    prioritized,
    start_receiver_process,
    stop_receiver_process,
    view_when,
    wait_until_healthy,
)  # fmt: skip
from tests.e2e.test_receiver_tls import tls_files

UNSTORABLE = ("9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00")
STORABLE = ("9999-12-31T23:59:59+01:00", "0001-01-01T00:00:00-01:00")  # 22:59:59 and 01:00:00 in UTC


@dataclass
class TlsReceiver:
    url: str
    trusted: ssl.SSLContext

    def pagerduty(self) -> pagerduty.EventsApiV2Client:
        client = pagerduty.EventsApiV2Client(CHECKOUT_KEY, base_url=self.url, verify=self.trusted)
        client.sleep_timer = 0.05  # it retries a 503 six times; a wrong answer should fail the test quickly
        return client

    async def alertmanager(self, body: dict[str, Any]) -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=self.trusted)) as http,
            http.post(f"{self.url}/v1/alerts/alertmanager", json=body,
                      headers={"Authorization": f"Bearer {TOKEN}"}) as response,
        ):  # fmt: skip
            return response.status, await response.json()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def tls_receiver(tmp_path_factory: pytest.TempPathFactory, dev_server: str, postgres_url: str,
                       dev_worker: str) -> AsyncIterator[TlsReceiver]:  # fmt: skip
    authority = trustme.CA()
    port = free_port()
    process = await start_receiver_process(dev_server, postgres_url, dev_worker, TOKEN, port,
                                           **tls_files(authority, tmp_path_factory.mktemp("tls")))  # fmt: skip
    trusted = ssl.create_default_context()
    authority.configure_trust(trusted)
    url = f"https://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=trusted)) as http:
            await wait_until_healthy(http, url, process)
        yield TlsReceiver(url, trusted)
        _, stderr = await stop_receiver_process(process)
        assert process.returncode == 0, stderr.decode()[-2000:]
    finally:
        await kill_receiver_process(process)


def refused_field(err: pagerduty.Error) -> list[dict[str, Any]]:
    """The 400's field errors, as the client hands the answer over."""
    assert isinstance(err, pagerduty.HttpError) and err.response.status_code == 400, str(err)
    return err.response.json()["errors"]


async def test_a_deploy_tools_change_event_with_an_unstorable_timestamp_is_refused_with_400_and_not_stored(
    tls_receiver: TlsReceiver, pool: asyncpg.Pool
) -> None:
    client, tag = tls_receiver.pagerduty(), uuid.uuid4().hex[:8]
    try:
        for timestamp in UNSTORABLE:
            payload = {"summary": f"e2e deploy {tag} at {timestamp}", "source": "github-actions",
                       "timestamp": timestamp}  # fmt: skip
            with pytest.raises(pagerduty.Error) as refused:
                await asyncio.to_thread(client.send_change_event, payload=payload)
            [error] = refused_field(refused.value)
            assert error["loc"] == ["payload", "timestamp"], error
            assert "between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z" in error["msg"], error
        stored = "SELECT count(*) FROM change_events WHERE summary LIKE $1"
        assert await pool.fetchval(stored, f"e2e deploy {tag} %") == 0
        for timestamp in STORABLE:  # the same instants, written within the range: stored
            await asyncio.to_thread(client.submit, f"e2e deploy {tag} within {timestamp}", "github-actions",
                                    timestamp=timestamp)  # fmt: skip
        kept = await pool.fetch("SELECT happened_at FROM change_events WHERE summary LIKE $1 ORDER BY happened_at",
                                f"e2e deploy {tag} %")  # fmt: skip
        assert [r["happened_at"].isoformat() for r in kept] == ["0001-01-01T01:00:00+00:00",
                                                                "9999-12-31T22:59:59+00:00"]  # fmt: skip
    finally:
        await pool.execute("DELETE FROM change_events WHERE summary LIKE $1", f"e2e deploy {tag} %")


async def test_an_alert_with_an_unstorable_timestamp_is_refused_with_400_and_opens_nothing(
    tls_receiver: TlsReceiver, pool: asyncpg.Pool
) -> None:
    client = tls_receiver.pagerduty()
    for timestamp in UNSTORABLE:
        dedup_key = f"far-{uuid.uuid4().hex}"
        with pytest.raises(pagerduty.Error) as refused:
            await asyncio.to_thread(client.trigger, "card payments failing", "psp-gateway", dedup_key=dedup_key,
                                    severity="error", payload={"timestamp": timestamp})  # fmt: skip
        [error] = refused_field(refused.value)
        assert error["loc"] == ["payload", "timestamp"] and "once its offset is applied" in error["msg"], error
        await asyncio.sleep(0.5)  # long enough for an accepted delivery to reach alert_routes; none must
        assert await incident_of(pool, event_route(CHECKOUT_KEY, dedup_key)) is None


async def test_alertmanager_with_an_unstorable_timestamp_is_refused_with_400_and_opens_nothing(
    tls_receiver: TlsReceiver, pool: asyncpg.Pool
) -> None:
    for field, timestamp in (("startsAt", UNSTORABLE[0]), ("endsAt", UNSTORABLE[1])):
        body = fresh_group()
        body["alerts"][1][field] = timestamp
        status, answer = await tls_receiver.alertmanager(body)
        assert status == 400, answer
        assert [e["loc"] for e in answer["errors"]] == [["alerts", 1, field]], answer
        rejected = await pool.fetchval("SELECT count(*) FROM rejected_events WHERE payload->>'groupKey' = $1",
                                       body["groupKey"])  # fmt: skip
        assert rejected == 0 and await incident_of(pool, stable_id(WORKFLOW_PREFIX, body["groupKey"])) is None


async def test_alerts_with_the_same_instants_within_range_open_their_incidents(
    tls_receiver: TlsReceiver, pool: asyncpg.Pool, dev_client: Client
) -> None:
    dedup_key = f"near-{uuid.uuid4().hex}"
    answered = await asyncio.to_thread(tls_receiver.pagerduty().trigger, "card payments failing", "psp-gateway",
                                       dedup_key=dedup_key, severity="error",
                                       payload={"timestamp": STORABLE[0]})  # fmt: skip
    assert answered == dedup_key
    opened = await view_when(dev_client, event_route(CHECKOUT_KEY, dedup_key), prioritized, pool=pool)
    assert opened["state"] == "prioritized"
    body = fresh_group()
    body["alerts"][0]["startsAt"], body["alerts"][0]["endsAt"] = STORABLE[1], STORABLE[0]
    status, answer = await tls_receiver.alertmanager(body)
    assert status == 202, answer
    grouped = await view_when(dev_client, stable_id(WORKFLOW_PREFIX, body["groupKey"]), prioritized, pool=pool)
    assert grouped["state"] == "prioritized"
