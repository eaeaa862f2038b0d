"""Who may open an incident: Alertmanager with the one bearer token, a sender with its service's routing key.

Everyone else gets 401 and registers nothing: no Temporal call (so no workflow and no
incident row), no rejected_events row. And no credential, right or wrong, reaches the log.
"""

import asyncio
import json
import time
import uuid
from typing import Any

import aiohttp
import asyncpg
import pytest
from hypothesis import strategies as st
from temporalio.service import RPCError, RPCStatusCode

from localstack.temporal import free_port
from starter.intake.alertmanager import group_route
from starter.intake.events_api import event_route
from starter.intake.payloads import AlertmanagerWebhook
from tests.e2e.fuzz_support import (
    Answer,
    Ledger,
    assert_clear_refusal,
    post,
    raw_exchange,
    run_property,
    still_serving,
)
from tests.e2e.receiver_support import (  # noqa: F401
    CHECKOUT_KEY,
    TOKEN,
    Receiver,
    fresh_group,
    kill_receiver_process,
    receiver,
    sample,
    start_receiver_process,
    stop_receiver_process,
    wait_until_healthy,
)

PAYROLL_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"  # catalog.toml: payroll's integration key


async def assert_nothing_registered(receiver: Receiver, pool: asyncpg.Pool, workflow_id: str,
                                    before: tuple[int, int]) -> None:  # fmt: skip
    await Ledger(receiver, pool).assert_unchanged(before)  # waits for the forwarder first
    assert await pool.fetchval("SELECT count(*) FROM alert_routes WHERE route = $1", workflow_id) == 0
    with pytest.raises(RPCError) as missing:
        await receiver.client.get_workflow_handle(workflow_id).describe()
    assert missing.value.status is RPCStatusCode.NOT_FOUND


async def send_webhook(receiver: Receiver, authorization: str | None) -> tuple[Answer, str]:
    group = fresh_group()  # valid, for checkout: the credential alone decides
    headers = {"Authorization": authorization} if authorization is not None else {}
    answer = await post(receiver.http, f"{receiver.url}/v1/alerts/alertmanager", json.dumps(group).encode(), headers)
    return answer, group_route(AlertmanagerWebhook.model_validate(group))


async def send_event(receiver: Receiver, routing_key: str, **changes: Any) -> tuple[Answer, str]:
    event = {**sample("alertmanager-pagerduty-v2-trigger"), "routing_key": routing_key,
             "dedup_key": uuid.uuid4().hex, **changes}  # fmt: skip
    answer = await post(receiver.http, f"{receiver.url}/v2/enqueue", json.dumps(event).encode())
    return answer, event_route(routing_key, event["dedup_key"])


WRONG_BEARERS = {
    "no Authorization header": None,
    "an empty header": "",
    "the scheme alone": "Bearer",
    "a wrong token": "Bearer not-the-token",
    "the token upper-cased": f"Bearer {TOKEN.upper()}",
    "the token less its last character": f"Bearer {TOKEN[:-1]}",
    "the token and one more character": f"Bearer {TOKEN}x",
    "the token split by a space": f"Bearer {TOKEN[:9]} {TOKEN[9:]}",
    "the token split by a tab": f"Bearer {TOKEN[:9]}\t{TOKEN[9:]}",
    "the token twice": f"Bearer {TOKEN} {TOKEN}",
    "the token under another scheme": f"Basic {TOKEN}",
    "the token without a scheme": TOKEN,
    "the scheme twice": f"Bearer Bearer {TOKEN}",
    "a service's routing key": f"Bearer {CHECKOUT_KEY}",
}


@pytest.mark.parametrize("authorization", list(WRONG_BEARERS.values()), ids=list(WRONG_BEARERS))
async def test_a_webhook_without_exactly_the_bearer_token_is_refused_with_401_and_registers_nothing(
    receiver: Receiver, pool: asyncpg.Pool, authorization: str | None
) -> None:
    before = await Ledger(receiver, pool).snapshot()
    answer, workflow_id = await send_webhook(receiver, authorization)
    assert assert_clear_refusal(answer, {401})["status"] == "unauthorized"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert TOKEN.encode() not in answer.body
    await assert_nothing_registered(receiver, pool, workflow_id, before)


@pytest.mark.parametrize("authorization", [f"Bearer {TOKEN}", f"bearer {TOKEN}", f"Bearer   {TOKEN}  "],
                         ids=["as configured", "the scheme in lower case", "spaces around the token"])  # fmt: skip
async def test_the_exact_token_is_accepted_whatever_the_case_of_the_scheme_and_the_spaces_around_it(
    receiver: Receiver, authorization: str
) -> None:
    """RFC 9110: the scheme is case-insensitive and 1*SP separates it from the credential."""
    answer, _ = await send_webhook(receiver, authorization)
    assert answer.status == 202


WRONG_ROUTING_KEYS = {
    "an unknown key": "f" * 32,
    "a service's key upper-cased": CHECKOUT_KEY.upper(),
    "a service's key with a leading space": f" {CHECKOUT_KEY}",
    "a service's key with a trailing newline": f"{CHECKOUT_KEY}\n",
    "a service's key less its last character": CHECKOUT_KEY[:-1],
    "a service's key and one more character": f"{CHECKOUT_KEY}0",
    "the service's name": "checkout",
    "the Alertmanager bearer token": TOKEN,
    "a service's key as SQL": f"{CHECKOUT_KEY}' OR '1'='1",
}


@pytest.mark.parametrize("routing_key", list(WRONG_ROUTING_KEYS.values()), ids=list(WRONG_ROUTING_KEYS))
async def test_an_event_without_a_catalog_routing_key_is_refused_with_401_and_registers_nothing(
    receiver: Receiver, pool: asyncpg.Pool, routing_key: str
) -> None:
    before = await Ledger(receiver, pool).snapshot()
    answer, workflow_id = await send_event(receiver, routing_key)
    assert assert_clear_refusal(answer, {401})["message"] == "Invalid routing key"
    assert routing_key.encode() not in answer.body and CHECKOUT_KEY.encode() not in answer.body
    await assert_nothing_registered(receiver, pool, workflow_id, before)


async def test_an_event_whose_routing_key_sits_in_a_header_instead_of_the_body_is_refused(
    receiver: Receiver, pool: asyncpg.Pool
) -> None:
    event = {k: v for k, v in sample("alertmanager-pagerduty-v2-trigger").items() if k != "routing_key"}
    before = await Ledger(receiver, pool).snapshot()
    for header in ({"Authorization": f"Bearer {CHECKOUT_KEY}"}, {"X-Routing-Key": CHECKOUT_KEY},
                   {"Authorization": f"Token token={CHECKOUT_KEY}"}):  # fmt: skip
        answer = await post(receiver.http, f"{receiver.url}/v2/enqueue", json.dumps(event).encode(), header)
        assert assert_clear_refusal(answer, {400})["errors"][0]["loc"] == ["routing_key"]
    await Ledger(receiver, pool).assert_unchanged(before)


async def test_an_event_is_filed_under_the_service_of_its_routing_key_whatever_its_payload_claims(
    receiver: Receiver, pool: asyncpg.Pool
) -> None:
    """A routing key is one service's credential: a payload naming another service cannot borrow it."""
    payload = {**sample("alertmanager-pagerduty-v2-trigger")["payload"], "component": "payroll", "source": "payroll",
               "group": "payroll", "custom_details": {"service": "payroll", "routing_key": PAYROLL_KEY}}  # fmt: skip
    answer, workflow_id = await send_event(receiver, CHECKOUT_KEY, payload=payload)
    assert answer.status == 202
    deadline = time.monotonic() + 30
    while (service := await pool.fetchval("SELECT service FROM incidents WHERE workflow_id IN (SELECT workflow_id FROM alert_routes WHERE route = $1)",
                                          workflow_id)) is None:  # fmt: skip
        assert time.monotonic() < deadline, "the accepted event never became an incident"
        await asyncio.sleep(0.1)
    assert service == "checkout"


# Header values aiohttp's client will send (it refuses control characters, as it should).
header_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=120)


async def test_no_generated_authorization_header_but_the_token_opens_the_webhook(
    receiver: Receiver, pool: asyncpg.Pool
) -> None:
    ledger = Ledger(receiver, pool)

    async def check(value: str) -> None:
        before = await ledger.snapshot()
        answer, _ = await send_webhook(receiver, value)
        assert_clear_refusal(answer, {401})
        await ledger.assert_unchanged(before, f"(Authorization: {value!r})")

    prefixes = st.sampled_from([f"Bearer {TOKEN[:n]}" for n in range(len(TOKEN))])
    wrong = (header_text | header_text.map(lambda t: f"Bearer {t}") | prefixes).filter(
        lambda v: v.strip().partition(" ")[2].strip() != TOKEN
    )
    await run_property(wrong, check, examples=300)
    await still_serving(receiver)


async def test_no_generated_routing_key_but_a_catalog_one_opens_an_incident(
    receiver: Receiver, pool: asyncpg.Pool
) -> None:
    keys = {r["integration_key"] for r in await pool.fetch("SELECT integration_key FROM services")}
    ledger = Ledger(receiver, pool)

    async def check(routing_key: str) -> None:
        before = await ledger.snapshot()
        answer, _ = await send_event(receiver, routing_key)
        if "\x00" in routing_key:  # cannot be stored, so it cannot be a key: refused before the lookup
            assert_clear_refusal(answer, {400})
        else:
            assert assert_clear_refusal(answer, {401})["message"] == "Invalid routing key"
        await ledger.assert_unchanged(before, f"(routing_key {routing_key!r})")

    near = st.sampled_from(sorted(keys)).flatmap(lambda key: st.sampled_from(
        [key.upper(), key[:-1], key + "0", " " + key, key.replace("a", "A", 1), key[::-1]]))  # fmt: skip
    generated = (st.text(min_size=1, max_size=200) | near).filter(lambda k: k not in keys)
    await run_property(generated, check, examples=300)


# -- the log of `python -m receiver` ---------------------------------------------------


def nested(value: Any, levels: int) -> Any:
    for _ in range(levels):
        value = [value]
    return value


async def test_no_token_or_routing_key_right_or_wrong_ever_reaches_the_receiver_log(
    dev_server: str, postgres_url: str, dev_worker: str, pool: asyncpg.Pool
) -> None:
    token = f"secret-{uuid.uuid4().hex}"
    wrong = [f"guess-{uuid.uuid4().hex}", token.upper(), token[:-1], f"{token}x", f"{token[:12]} {token[12:]}"]
    unknown_key, withdrawn_key = uuid.uuid4().hex, uuid.uuid4().hex
    withdrawn = f"fax-{uuid.uuid4().hex[:6]}"
    await pool.execute("INSERT INTO services (name, integration_key, agreement) VALUES ($1, $2, $3::jsonb)",
                       withdrawn, withdrawn_key, json.dumps({"withdrawn": True}))  # fmt: skip
    secrets = [token, *wrong, CHECKOUT_KEY, unknown_key, withdrawn_key]

    port = free_port()
    process = await start_receiver_process(dev_server, postgres_url, dev_worker, token, port, log_level="debug")
    url = f"http://127.0.0.1:{port}"
    am, pd = f"{url}/v1/alerts/alertmanager", f"{url}/v2/enqueue"
    answers: list[int] = []
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
            await wait_until_healthy(http, url, process)

            async def send(target: str, body: Any, headers: dict[str, str] | None = None) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                answers.append((await post(http, target, data, headers)).status)

            await send(am, fresh_group(), {"Authorization": f"Bearer {token}"})
            for guess in wrong:
                await send(am, fresh_group(), {"Authorization": f"Bearer {guess}"})
            await send(f"{am}?token={token}&routing_key={CHECKOUT_KEY}", fresh_group(), {"X-Api-Key": token})
            await send(am, b'{"not json' + token.encode(), {"Authorization": f"Bearer {token}"})
            event = {**sample("alertmanager-pagerduty-v2-trigger"), "dedup_key": uuid.uuid4().hex}
            await send(pd, event)  # checkout's key: accepted
            await send(pd, {**event, "routing_key": unknown_key})
            await send(pd, {**event, "routing_key": withdrawn_key})  # 422, recorded without its key
            await send(pd, {**event, "payload": {**event["payload"], "severity": CHECKOUT_KEY}})  # 400
            await send(pd, {**event, "routing_key": 7, "dedup_key": token})  # 400
            await send(pd, {**event, "extra": nested(CHECKOUT_KEY, 100)})  # 400: too deep
            await send(pd, {**event, "routing_key": f"{CHECKOUT_KEY}\x00"})  # 400: NUL
        # What aiohttp itself refuses, and would log with the offending bytes quoted:
        for header in (f"Authorization: Bearer {token}{'a' * 9000}".encode(),  # longer than 8190 bytes
                       f"Authorization: Bearer {token}".encode() + b"\x01",  # a forbidden byte
                       f"X-Routing-Key: {CHECKOUT_KEY}{'k' * 9000}".encode()):  # fmt: skip
            response = await raw_exchange(port, b"POST /v1/alerts/alertmanager HTTP/1.1\r\nHost: x\r\n" + header
                                          + b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")  # fmt: skip
            answers.append(int(response.split(b" ", 2)[1]))
        stdout, stderr = await stop_receiver_process(process)
    finally:
        await kill_receiver_process(process)
        await pool.execute("DELETE FROM services WHERE name = $1", withdrawn)

    output = (stdout + stderr).decode(errors="replace")
    assert process.returncode == 0, output[-2000:]
    assert answers == [202, *[401] * len(wrong), 401, 400, 202, 401, 422, 400, 400, 400, 400, 400, 400, 400], answers
    # the requests were logged (one `answered` line each that reached the app, aiohttp's own refusals too) ...
    assert output.count('"answered"') == len(answers) - 3, output[-3000:]
    assert output.count("Error handling request") == 3, output[-3000:]
    # ... and no credential, right or wrong, in any line
    leaked = [secret for secret in secrets if secret in output or secret.encode() in stdout + stderr]
    assert not leaked, f"{leaked} in the log:\n{output[-3000:]}"
