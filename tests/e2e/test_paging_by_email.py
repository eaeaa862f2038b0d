"""End to end on the dev server with a real SMTP server on loopback (aiosmtpd): an Alertmanager alert
pages the on-call person by email, the email's link acknowledges it as that person, and
`incidentctl show --history` tells who was paged and when."""

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from email import message_from_bytes
from typing import Any

import aiohttp
import asyncpg
import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from temporalio.client import Client

from activities.paging import PagingSettings
from channels.email import SmtpServer
from domain.oncall import on_call
from localstack.temporal import free_port
from stores.oncall import fetch_schedule
from tests.e2e.cli import Cli
from tests.e2e.receiver_support import Receiver, fresh_group, incident_of, serve
from worker import build_worker

SECRET = f"page-secret-{uuid.uuid4().hex}"


class Inbox:
    """An SMTP server's handler: every message it is handed, as a parsed email."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def paging_stack(
    dev_client: Client, pool: asyncpg.Pool, smtp: tuple[Inbox, int]
) -> AsyncIterator[tuple[Receiver, str]]:
    """A worker that pages by email through the test SMTP server, and a receiver that takes the links."""
    task_queue = f"paging-{uuid.uuid4().hex[:8]}"
    async for receiver in serve(dev_client, pool, task_queue, page_secret=SECRET):
        settings = PagingSettings(smtp=SmtpServer(host="127.0.0.1", port=smtp[1], sender="pager@example.com"),
                                  public_url=receiver.url, secret=SECRET)  # fmt: skip
        async with build_worker(dev_client, pool, task_queue, settings):
            yield receiver, task_queue


async def an_email(inbox: Inbox, number: str, timeout: float = 30.0) -> Any:
    for _ in range(int(timeout / 0.1)):
        found = [m for m in inbox.messages if number in m["Subject"]]
        if found:
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no email for {number}; got {[m['Subject'] for m in inbox.messages]}")


async def test_an_alert_pages_the_on_call_by_email_and_the_link_acknowledges_it_as_them(
    paging_stack: tuple[Receiver, str], smtp: tuple[Inbox, int], pool: asyncpg.Pool, cli: Cli
):
    receiver, task_queue = paging_stack
    body = fresh_group(severity="critical")  # checkout, P1
    route = (await (await receiver.alertmanager(body)).json())["route"]
    view = await receiver.view_when(route, lambda v: v["priority"] is not None)
    number = view["number"]
    mail = await an_email(smtp[0], number)
    async with pool.acquire() as conn:
        schedule = await fetch_schedule(conn, "checkout-oncall")
    person = on_call(schedule, datetime.fromisoformat(view["logged_at"])).person
    address = await pool.fetchval("SELECT person->>'email' FROM oncall_people WHERE name = $1", person)
    assert mail["To"] == address and mail["Subject"].startswith(f"[{number} P1] checkout:")
    text = mail.get_payload(decode=True).decode()  # quoted-printable on the wire: long links are wrapped
    assert "Runbook: https://runbooks.example/checkout-5xx" in text and "P1 logged" in text
    link = re.search(r"Acknowledge \(stops the paging\): (\S+)", text)[1]
    assert link.startswith(f"{receiver.url}/v1/pages/") and link.endswith("/ack")

    async with receiver.http.get(link.removesuffix("/ack")) as page:  # what a mail scanner fetches: nothing happens
        assert page.status == 200 and "Acknowledge" in await page.text()
    tampered = link.replace("/v1/pages/", "/v1/pages/x")
    async with receiver.http.post(tampered) as refused:
        assert refused.status == 403
    async with receiver.http.post(link) as answer:
        acknowledged = await answer.json()
    assert answer.status == 200 and acknowledged["by"] == person and acknowledged["state"] == "in_progress"
    async with receiver.http.post(link) as again:  # a link acknowledges once
        assert again.status == 403 and "used already" in (await again.json())["message"]
    [audited] = await pool.fetch(
        "SELECT actor, by, before, after FROM audit_log WHERE target = $1 AND action = 'incident.ack'", number
    )
    before, after = json.loads(audited["before"]), json.loads(audited["after"])
    assert (audited["actor"], audited["by"], after["via"], after["page"]) == (person, None, "page link", 1)
    assert (before["assignee"], after["assignee"], after["state"]) == (None, person, "in_progress")

    shown = await cli("-o", "json", "show", number, "--history", env={"INCIDENT_TASK_QUEUE": task_queue})
    story = shown.json()
    assert story["assignee"] == person and story["acknowledged_at"] is not None
    [page_entry] = [h for h in story["history"] if h["action"] == "page"]
    assert page_entry["detail"].startswith(f"paged {person}:email (schedule:checkout-oncall, step 1 of 3")
    [ack] = [h for h in story["history"] if h["action"] == "ack"]
    assert ack["actor"] == person  # the paged person, from the signed link
    table = await cli("show", number, "--history")
    assert f"paged {person}:email" in table.out
    row = await pool.fetchrow("SELECT status, attempts, sent_at FROM pages WHERE number = $1 AND channel = 'email'",
                              number)  # fmt: skip
    assert row["status"] == "sent" and row["attempts"] == 1 and row["sent_at"] is not None
    assert await incident_of(pool, route) == number


async def test_an_expired_or_foreign_link_gets_403_and_acknowledges_nothing(paging_stack: tuple[Receiver, str]):
    from datetime import UTC, datetime, timedelta

    from domain.page_links import PageToken, sign

    receiver, _ = paging_stack
    expired = sign(PageToken("INC-1", "dana", 1, datetime.now(UTC) - timedelta(minutes=1)), SECRET)
    foreign = sign(PageToken("INC-1", "dana", 1, datetime.now(UTC) + timedelta(hours=1)), "another-secret")
    for token in (expired, foreign, "not-a-token"):
        async with receiver.http.post(f"{receiver.url}/v1/pages/{token}/ack") as answer:
            assert answer.status == 403, token


async def test_p1s_posted_through_a_storm_are_paged_and_every_storm_alert_reaches_its_incident(
    paging_stack: tuple[Receiver, str], smtp: tuple[Inbox, int]
):
    """As Alertmanager sends them: a new P1 group every 0.2 s for 3 s, past the longest hold the P1s put
    on the other incidents, and a storm of other groups meanwhile. The storm waits, then goes at a pace
    (starter/intake/p1_first.py): slowed, never stopped, nothing lost."""
    receiver, _ = paging_stack
    storm, deliveries_each = [fresh_group(severity="warning") for _ in range(12)], 3

    async def p1s() -> list[aiohttp.ClientResponse]:
        sent = []
        for _ in range(15):
            sent.append(await receiver.alertmanager(fresh_group(severity="critical")))
            await asyncio.sleep(0.2)
        return sent

    paging = asyncio.create_task(p1s())
    await asyncio.sleep(0.1)  # the first P1 is being opened
    answers = await asyncio.gather(*(receiver.alertmanager(group) for group in storm for _ in range(deliveries_each)))
    p1_answers = await paging
    assert {a.status for a in [*answers, *p1_answers]} == {202}
    for answer in p1_answers:
        view = await receiver.view_when((await answer.json())["route"], lambda v: v["priority"] is not None)
        assert view["priority"] == "P1"
        await an_email(smtp[0], view["number"])
    routes = {(await a.json())["route"] for a in answers}
    assert len(routes) == len(storm)
    occurrences = deliveries_each * len(storm[0]["alerts"])  # each delivery repeats each of its alerts once
    for route in routes:
        view = await receiver.view_when(route, lambda v: v["alerts"]["occurrences"] == occurrences, timeout=60)
        assert view["priority"] != "P1" and view["alerts"]["occurrences"] == occurrences
