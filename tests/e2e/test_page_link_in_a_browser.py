"""The acknowledgement link of a page as its reader uses it: taken from the email the SMTP server
received (or the Slack-compatible and generic webhook's message), opened in headless chromium at a
phone's width, its one button pressed. The paged person takes the incident and the paging stops. A
mail scanner's prefetch of the link (GET, HEAD) acknowledges nothing."""

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest_asyncio
from temporalio.client import Client

from domain.oncall import Person, on_call
from stores.oncall import fetch_schedule
from tests.e2e.browser_support import browser, needs_chromium  # noqa: F401
from tests.e2e.receiver_support import Receiver, fresh_group, view_of
from tests.e2e.test_paging_by_email import Inbox, an_email, paging_stack, smtp  # noqa: F401
from tests.e2e.webhook_sink import WebhookSink, serving

pytestmark = needs_chromium
PHONE = {"width": 390, "height": 844}
LINK = re.compile(r"Acknowledge \(stops the paging\): (\S+)")
WAIT_MS = 20_000  # generous on a loaded machine


async def paged(receiver: Receiver) -> tuple[str, str]:
    """A P1 alert for checkout; its number and who is on call for it."""
    route = (await (await receiver.alertmanager(fresh_group(severity="critical"))).json())["route"]
    view = await receiver.view_when(route, lambda v: v["priority"] is not None)
    async with receiver.pool.acquire() as conn:
        schedule = await fetch_schedule(conn, "checkout-oncall")
    return view["number"], on_call(schedule, datetime.fromisoformat(view["logged_at"])).person


async def pending_page_timers(client: Client, number: str) -> list[str]:
    """The escalation policy's timers still running in the incident's history (their summaries)."""
    started: dict[int, str] = {}
    async for event in client.get_workflow_handle(number).fetch_history_events():
        if event.HasField("timer_started_event_attributes"):
            summary = json.loads(event.user_metadata.summary.data or b'""')
            started[event.event_id] = summary
        for ended in (event.timer_fired_event_attributes, event.timer_canceled_event_attributes):
            started.pop(ended.started_event_id, None)
    return [s for s in started.values() if " page at " in s]


async def until(check: Any, what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := await check()):
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.1)
    return found


async def press_the_button_on_a_phone(browser: Any, link: str) -> tuple[str, str]:  # noqa: F811
    """Open the link as a click does, at a phone's width, and press the one button: (page, answer) text."""
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = await context.new_page()
        opened = await page.goto(link, wait_until="load", timeout=WAIT_MS)
        assert opened.status == 200 and opened.request.method == "GET"
        button = page.get_by_role("button")
        assert await button.count() == 1
        box = await button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] and box["height"] >= 44  # a thumb's target
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
        shown = await page.inner_text("body")
        async with page.expect_navigation(timeout=WAIT_MS):
            await button.tap()
        return shown, await page.inner_text("body")
    finally:
        await context.close()


async def test_the_emailed_link_opens_a_page_on_a_phone_whose_button_acknowledges_as_the_paged_person(
    paging_stack: tuple[Receiver, str],  # noqa: F811
    smtp: tuple[Inbox, int],  # noqa: F811
    browser: Any,  # noqa: F811
    dev_client: Client,
):
    receiver, _ = paging_stack
    number, person = await paged(receiver)
    mail = await an_email(smtp[0], number)
    link = LINK.search(mail.get_payload(decode=True).decode())[1]
    assert await until(lambda: pending_page_timers(dev_client, number), "the policy's next step never waited")

    shown, answer = await press_the_button_on_a_phone(browser, link)
    assert number in shown and f"Paged: {person}" in shown and "checkout" in shown
    assert f"{number} acknowledged by {person}: paging stopped" in answer

    view = await view_of(dev_client, number)
    assert (view["state"], view["assignee"]) == ("in_progress", person) and view["acknowledged_at"] is not None
    recorded = "SELECT actor, action FROM incident_events WHERE number = $1 AND action IN ('ack', 'page_ack')"
    acks = await until(lambda: receiver.pool.fetch(recorded, number), "the acknowledgement was not recorded")
    assert [(r["actor"], r["action"]) for r in acks] == [(person, "ack")]
    await until(lambda: _none(pending_page_timers(dev_client, number)), "the paging did not stop")


async def _none(found: Any) -> bool:
    return not await found


async def test_a_mail_scanner_fetching_the_link_with_get_or_head_acknowledges_nothing(
    paging_stack: tuple[Receiver, str],  # noqa: F811
    smtp: tuple[Inbox, int],  # noqa: F811
    dev_client: Client,
):
    receiver, _ = paging_stack
    number, _ = await paged(receiver)
    link = LINK.search((await an_email(smtp[0], number)).get_payload(decode=True).decode())[1]
    scanner = {"User-Agent": "Mozilla/5.0 (compatible; SafeLinks link check)", "Accept": "*/*"}
    for _ in range(2):
        for url in (link, link.removesuffix("/ack")):
            async with receiver.http.get(url, headers=scanner) as fetched:
                assert fetched.status == 200 and "Acknowledge" in await fetched.text()
                assert fetched.headers["Cache-Control"] == "no-store"
            async with receiver.http.head(url, headers=scanner) as headed:
                assert headed.status == 200
    view = await view_of(dev_client, number)
    assert (view["state"], view["acknowledged_at"]) == ("prioritized", None)
    assert await receiver.pool.fetchval("SELECT count(*) FROM page_acks WHERE number = $1", number) == 0
    async with receiver.http.post(link) as pressed:  # the link still works for the person
        assert pressed.status == 200 and (await pressed.json())["state"] == "in_progress"


@pytest_asyncio.fixture(loop_scope="session")
async def on_call_by_webhooks(pool: asyncpg.Pool) -> AsyncIterator[tuple[str, WebhookSink]]:
    """A person reached by a Slack-compatible and a generic webhook, covering checkout-oncall for an hour."""
    name, sink = f"hooks-{uuid.uuid4().hex[:6]}", WebhookSink()
    async with serving(sink) as url:
        person = Person(name=name, slack_webhook=url, webhook=url)
        await pool.execute("INSERT INTO oncall_people (name, person) VALUES ($1, $2::jsonb)", name,
                           person.model_dump_json())  # fmt: skip
        now = datetime.now(UTC)
        override = await pool.fetchval(
            "INSERT INTO oncall_overrides (schedule, person, starts_at, ends_at, reason, created_by)"
            " VALUES ('checkout-oncall', $1, $2, $3, 'webhook link test', 'tests') RETURNING id",
            name, now - timedelta(minutes=1), now + timedelta(hours=1),
        )  # fmt: skip
        try:
            yield name, sink
        finally:
            await pool.execute("UPDATE oncall_overrides SET removed_at = now() WHERE id = $1", override)
            await pool.execute("DELETE FROM oncall_people WHERE name = $1", name)


async def test_the_slack_and_webhook_pages_carry_a_link_that_opens_the_same_page(
    paging_stack: tuple[Receiver, str],  # noqa: F811
    on_call_by_webhooks: tuple[str, WebhookSink],
    browser: Any,  # noqa: F811
    dev_client: Client,
):
    receiver, _ = paging_stack
    name, sink = on_call_by_webhooks
    number, person = await paged(receiver)
    assert person == name
    messages = await until(lambda: _both(sink, number), "the webhooks were not both paged")
    slack = next(m for m in messages if "ack_url" not in m)
    generic = next(m for m in messages if "ack_url" in m)
    slack_link = LINK.search(slack["text"])[1]
    assert generic["ack_url"].startswith(f"{receiver.url}/v1/pages/") and slack_link.endswith("/ack")
    shown, answer = await press_the_button_on_a_phone(browser, generic["ack_url"])
    assert f"Paged: {name}" in shown and f"acknowledged by {name}" in answer
    context = await browser.new_context(viewport=PHONE)
    try:  # the other channel's link opens the page too, which says it was used
        page = await context.new_page()
        opened = await page.goto(slack_link, timeout=WAIT_MS)
        assert opened.status == 200 and "used already" in await page.inner_text("body")
    finally:
        await context.close()
    view = await view_of(dev_client, number)
    assert (view["state"], view["assignee"]) == ("in_progress", name)


async def _both(sink: WebhookSink, number: str) -> list[dict[str, Any]]:
    found = [m for m in sink.accepted if number in m.get("text", "")]
    return found if len(found) == 2 else []
