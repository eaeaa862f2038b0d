"""Every way the receiver says no, and that each answer tells the sender the right thing to do."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import pytest
import pytest_asyncio
from temporalio.client import Client

from localstack.temporal import free_port
from runtime.payloads import incident_data_converter
from starter.intake.alertmanager import rejection_key
from starter.intake.payloads import AlertmanagerWebhook
from tests.e2e.receiver_support import (  # noqa: F401
    CHECKOUT_KEY,
    TOKEN,
    Receiver,
    fresh_group,
    receiver,
    sample,
    serve,
)  # fmt: skip


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def no_temporal(pool: asyncpg.Pool, dev_worker: str) -> AsyncIterator[Receiver]:
    """The receiver with a real catalog but a Temporal that is not there (a closed port)."""
    dead = await Client.connect(f"127.0.0.1:{free_port()}", lazy=True, data_converter=incident_data_converter)
    async for running in serve(dead, pool, dev_worker):
        yield running


async def errors_of(response: aiohttp.ClientResponse) -> list[dict[str, Any]]:
    body = await response.json()
    assert response.status == 400 and body["message"] == "Event object is invalid"
    return body["errors"]


async def test_a_body_that_is_not_json_is_refused_with_400_and_says_so(receiver: Receiver) -> None:
    async with receiver.http.post(f"{receiver.url}/v1/alerts/alertmanager", data=b"{not json",
                                  headers={"Authorization": f"Bearer {TOKEN}",
                                           "Content-Type": "application/json"}) as response:  # fmt: skip
        errors = await errors_of(response)
    assert errors[0]["loc"] == [] and "not valid JSON" in errors[0]["msg"]


async def test_a_malformed_webhook_is_refused_with_400_listing_every_wrong_field(receiver: Receiver) -> None:
    body = fresh_group()
    body["version"] = "3"
    del body["alerts"][1]["fingerprint"]
    body["alerts"][0]["status"] = "exploded"
    errors = await errors_of(await receiver.alertmanager(body))
    assert {tuple(e["loc"]) for e in errors} == {("version",), ("alerts", 1, "fingerprint"), ("alerts", 0, "status")}
    assert all(e["msg"] for e in errors)


async def test_malformed_events_are_refused_with_400_as_pagerduty_would(receiver: Receiver) -> None:
    no_payload = await receiver.enqueue({"routing_key": CHECKOUT_KEY, "event_action": "trigger"})
    assert "payload is required" in (await errors_of(no_payload))[0]["msg"]

    bad = {"routing_key": CHECKOUT_KEY, "event_action": "trigger",
           "payload": {"summary": "disk full", "source": "db-1", "severity": "apocalyptic"}}  # fmt: skip
    assert [e["loc"] for e in await errors_of(await receiver.enqueue(bad))] == [["payload", "severity"]]

    unnamed = await receiver.enqueue({"routing_key": CHECKOUT_KEY, "event_action": "resolve"})
    assert "dedup_key is required" in (await errors_of(unnamed))[0]["msg"]


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", "Bearer "])
async def test_a_webhook_without_the_right_bearer_token_is_refused_with_401(
    receiver: Receiver, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    async with receiver.http.post(f"{receiver.url}/v1/alerts/alertmanager", json=fresh_group(),
                                  headers=headers) as response:  # fmt: skip
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert TOKEN not in await response.text()


async def test_an_event_with_an_unknown_routing_key_is_refused_with_401(receiver: Receiver) -> None:
    event = {**sample("alertmanager-pagerduty-v2-trigger"), "routing_key": "f" * 32}
    response = await receiver.enqueue(event)
    assert response.status == 401 and (await response.json())["message"] == "Invalid routing key"


async def test_a_body_over_512_kb_is_refused_with_413_by_length_and_by_bytes_read(receiver: Receiver) -> None:
    body = fresh_group()
    body["commonAnnotations"]["description"] = "x" * (600 * 1024)
    data = json.dumps(body).encode()
    url = f"{receiver.url}/v1/alerts/alertmanager"
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    async with receiver.http.post(url, data=data, headers=headers) as response:
        assert response.status == 413

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: only counting the bytes can tell
        for start in range(0, len(data), 64 * 1024):
            yield data[start : start + 64 * 1024]

    async with receiver.http.post(url, data=chunked(), headers=headers) as response:
        assert response.status == 413

    event = {**sample("alertmanager-pagerduty-v2-trigger"), "padding": "x" * (600 * 1024)}
    assert (await receiver.enqueue(event)).status == 413


async def test_a_group_for_a_service_outside_the_catalog_is_refused_with_422_and_recorded_once(
    receiver: Receiver, pool: asyncpg.Pool
) -> None:
    body = fresh_group(service="billing")
    for _ in range(2):  # Alertmanager would repeat it: still one record
        response = await receiver.alertmanager(body)
        assert response.status == 422
        answer = await response.json()
        assert answer["service"] == "billing" and "not in the agreed catalog" in answer["message"]
    key = rejection_key(AlertmanagerWebhook.model_validate(body))
    rows = await pool.fetch("SELECT source, service, reason, payload FROM rejected_events WHERE dedup_key = $1", key)
    assert len(rows) == 1
    assert (rows[0]["source"], rows[0]["service"]) == ("alertmanager", "billing")
    assert json.loads(rows[0]["payload"])["groupKey"] == body["groupKey"]


async def test_a_group_without_a_service_label_is_refused_with_422_and_recorded(
    receiver: Receiver, pool: asyncpg.Pool
) -> None:
    body = fresh_group()
    for labels in (body["commonLabels"], body["groupLabels"], *(a["labels"] for a in body["alerts"])):
        labels.pop("service", None)
    response = await receiver.alertmanager(body)
    assert response.status == 422
    key = rejection_key(AlertmanagerWebhook.model_validate(body))
    assert await pool.fetchval("SELECT reason FROM rejected_events WHERE dedup_key = $1", key) == (
        "no alert of the group has a 'service' label")  # fmt: skip


async def test_an_event_for_a_withdrawn_service_is_refused_with_422_and_recorded_without_its_key(
    dev_client: Client, pool: asyncpg.Pool, dev_worker: str
) -> None:
    name, key = f"fax-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    await pool.execute("INSERT INTO services (name, integration_key, agreement) VALUES ($1, $2, $3::jsonb)",
                       name, key, json.dumps({"withdrawn": True}))  # fmt: skip
    event = {**sample("alertmanager-pagerduty-v2-trigger"), "routing_key": key, "dedup_key": uuid.uuid4().hex}
    async for fresh in serve(dev_client, pool, dev_worker):  # its catalog cache has never seen the old rows
        response = await fresh.enqueue(event)
        assert response.status == 422 and "withdrawn" in (await response.json())["message"]
    row = await pool.fetchrow("SELECT source, payload FROM rejected_events WHERE service = $1", name)
    assert row["source"] == "events_api"
    assert key not in row["payload"]  # the routing key is a credential


async def test_when_temporal_cannot_take_events_both_endpoints_accept_them_into_the_inbox_where_they_wait(
    no_temporal: Receiver, pool: asyncpg.Pool
) -> None:
    """Alertmanager stops retrying after a while: a Temporal outage must not cost the alerts sent meanwhile."""
    waiting_before = await inbox_rows(pool, no_temporal.channel)
    for response in (await no_temporal.alertmanager(fresh_group()),
                     await no_temporal.enqueue(sample("alertmanager-pagerduty-v2-trigger"))):  # fmt: skip
        assert response.status == 202
    rows = await inbox_rows(pool, no_temporal.channel)
    assert len(rows) == len(waiting_before) + 2
    # the forwarder keeps trying, and says why on each row
    for _ in range(300):
        rows = await inbox_rows(pool, no_temporal.channel)
        if all(row["attempts"] >= 1 for row in rows):
            break
        await asyncio.sleep(0.1)
    assert len(rows) == len(waiting_before) + 2 and all(row["attempts"] >= 1 and row["last_error"] for row in rows)


async def inbox_rows(pool: asyncpg.Pool, channel: str) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT seq, attempts, last_error FROM alert_inbox WHERE channel = $1", channel)


async def test_when_postgres_goes_away_after_the_catalog_was_read_ingest_answers_503_and_stores_nothing(
    dev_client: Client, dev_worker: str, postgres_url: str
) -> None:
    own_pool = await asyncpg.create_pool(postgres_url, min_size=0, max_size=2)
    try:
        async for running in serve(dev_client, own_pool, dev_worker):
            group = fresh_group()
            assert (await running.alertmanager(group)).status == 202  # the catalog is read and kept now
            await running.forwarded()
            own_pool.terminate()  # every connection cut: the inbox cannot take the next delivery
            refused = await running.alertmanager(fresh_group())
            assert refused.status == 503 and int(refused.headers["Retry-After"]) > 0
            assert "nothing was stored" in (await refused.json())["message"]
    finally:
        own_pool.terminate()


async def test_readyz_names_temporal_when_it_is_unreachable(no_temporal: Receiver) -> None:
    async with no_temporal.http.get(f"{no_temporal.url}/readyz") as response:
        assert response.status == 503
        body = await response.json()
    assert body["failed"] == ["temporal"] and body["checks"]["postgres"] == "ok"


async def test_readyz_and_ingest_say_so_when_postgres_is_unreachable(dev_client: Client, dev_worker: str) -> None:
    dead_pool = await asyncpg.create_pool(f"postgresql://postgres@127.0.0.1:{free_port()}/x", min_size=0)
    try:
        async for running in serve(dev_client, dead_pool, dev_worker):
            async with running.http.get(f"{running.url}/readyz") as response:
                assert response.status == 503 and (await response.json())["failed"] == ["postgres"]
            refused = await running.alertmanager(fresh_group())  # the catalog cannot be read: retry later
            assert refused.status == 503 and "Retry-After" in refused.headers
    finally:
        await dead_pool.close()


async def test_refusals_are_counted_by_endpoint_and_reason(receiver: Receiver) -> None:
    await receiver.alertmanager(fresh_group(), token="nope")
    async with receiver.http.get(f"{receiver.url}/metrics") as response:
        text = await response.text()
    assert 'incident_events_refused_total{endpoint="alertmanager",reason="unauthorized"}' in text


async def test_a_body_not_declared_json_is_refused_with_415_and_nothing_is_stored(receiver: Receiver) -> None:
    body = json.dumps(fresh_group()).encode()
    before = await receiver.pool.fetchval("SELECT count(*) FROM alert_inbox")
    for content_type in ("application/x-www-form-urlencoded", "text/plain", None):  # curl -d sends the first
        headers = {"Authorization": f"Bearer {TOKEN}"} | ({"Content-Type": content_type} if content_type else {})
        for path in ("/v1/alerts/alertmanager", "/v2/enqueue"):
            async with receiver.http.post(f"{receiver.url}{path}", data=body, headers=headers) as response:
                answer = await response.json()
                assert response.status == 415, (path, content_type, answer)
                assert "Content-Type: application/json" in answer["message"]
    assert await receiver.pool.fetchval("SELECT count(*) FROM alert_inbox") <= before


async def test_a_date_time_that_is_not_rfc_3339_is_refused_with_400_naming_the_field(receiver: Receiver) -> None:
    group = fresh_group()
    group["alerts"][0]["startsAt"] = "yesterday at noon"
    answer = await receiver.alertmanager(group)
    errors = (await answer.json())["errors"]
    assert answer.status == 400 and errors[0]["loc"] == ["alerts", 0, "startsAt"]
    assert "RFC 3339" in errors[0]["msg"]
    event = {**sample("alertmanager-pagerduty-v2-trigger"), "dedup_key": "bad-time"}
    event["payload"] = {**event["payload"], "timestamp": "2026-13-45T99:00:00"}
    answer = await receiver.enqueue(event)
    errors = (await answer.json())["errors"]
    assert answer.status == 400 and errors[0]["loc"] == ["payload", "timestamp"]
    nanoseconds = fresh_group()  # what Alertmanager's Go encoder really writes is accepted
    nanoseconds["alerts"][0]["startsAt"] = "2026-11-29T23:47:28.123456789Z"
    assert (await receiver.alertmanager(nanoseconds)).status == 202
