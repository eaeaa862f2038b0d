"""The triggers of paging the README promises beyond logging and escalation, with the production worker
on the time-skipping server: a reopen pages the group's on-call again, a reassignment pages the new
group's on-call (or the person), the restore warning pages the service manager, an events-API
`acknowledge` stops the paging, and a channel that fails at first is retried until the row is sent.
Who is on call is looked up with the same domain functions the paging activity uses.
"""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiosmtpd.controller import Controller
from temporalio.service import RPCError

from activities.paging import PagingSettings
from channels.email import SmtpServer
from domain.commands import Ack, Assign, Escalate, Reopen, Resolve
from domain.oncall import on_call
from localstack.temporal import free_port
from stores.oncall import fetch_schedule
from tests.workflows.incident_driver import (
    Handle,
    alert_incident,
    at,
    deliver,
    entries,
    eventually,
    near,
    open_on,
    pass_time,
    send,
    show,
    state_becomes,
)
from tests.workflows.skipping_server import SkippingEnv, skipping_environment


async def pages(handle: Handle, count: int) -> list[dict[str, Any]]:
    """The incident's page entries, once there are `count` (a page's entry follows its activity)."""
    story = await eventually(lambda: show(handle), lambda v: len(entries(v, "page")) >= count)
    found = entries(story, "page")
    assert len(found) >= count, [e["detail"] for e in found]
    return found


async def on_call_at(pool: asyncpg.Pool, schedule: str, moment: datetime) -> str | None:
    async with pool.acquire() as conn:
        return on_call(await fetch_schedule(conn, schedule), moment).person


async def end(*handles: Handle) -> None:
    """The time-skipping server is reliable for one incident's timers at a time: end each test's."""
    for handle in handles:
        try:
            await handle.terminate("test over")
        except RPCError:
            pass  # closed already


@pytest.fixture
async def opened(skipping: SkippingEnv) -> AsyncIterator[list[Handle]]:
    """Handles a test appends; terminated after it, before its server goes."""
    handles: list[Handle] = []
    yield handles
    await end(*handles)


# -- 1. a reopen pages the on-call again ------------------------------------------------------------


async def test_a_resolved_incident_that_is_reopened_pages_the_on_call_again(skipping, opened, pool: asyncpg.Pool):
    _, handle = await open_on(skipping, "payroll", "payroll export hangs", impact=2, urgency=2)  # P3
    opened.append(handle)
    [first] = await pages(handle, 1)
    assert first["detail"].endswith("P3 logged)")
    await send(handle, Ack(actor="jonas.berg"))
    await send(handle, Resolve(actor="jonas.berg", resolution="restarted the export job"))
    await pass_time(skipping, timedelta(minutes=20))
    assert len(entries(await show(handle), "page")) == 1  # acknowledged, then resolved: quiet
    reopened = await send(handle, Reopen(actor="alice", reason="the export hangs again"))
    assert reopened["state"] == "in_progress"
    [reopen] = entries(await show(handle), "reopen")
    [_, again] = await pages(handle, 2)
    expected = await on_call_at(pool, "hr-systems", at(reopen["at"]))
    assert again["detail"] == f"paged {expected}:no-smtp (schedule:hr-systems, step 1 of 2, round 1 of 2: reopened)"
    assert at(again["at"]) - at(reopen["at"]) == near(timedelta(0))  # at once
    await pass_time(skipping, timedelta(minutes=16))  # payroll's policy goes on: everyone of hr-systems
    third = (await pages(handle, 3))[2]
    assert "(group:hr-systems, step 2 of 2, round 1 of 2: reopened)" in third["detail"]
    story = await show(handle)
    rows = await pool.fetch("SELECT DISTINCT page_seq, reason FROM pages WHERE number = $1 ORDER BY page_seq",
                            story["number"])  # fmt: skip
    assert [(r["page_seq"], r["reason"]) for r in rows] == [(1, "P3 logged"), (2, "reopened"), (3, "reopened")]
    await send(handle, Ack(actor="jonas.berg"))  # someone took the page of the reopened incident
    await pass_time(skipping, timedelta(hours=1))
    assert len(entries(await show(handle), "page")) == 3


async def test_an_alert_that_fires_again_after_restoring_reopens_and_pages_the_on_call_again(
    skipping, opened, pool: asyncpg.Pool
):
    handle = await alert_incident(skipping)
    opened.append(handle)
    [first] = await pages(handle, 1)
    assert "(schedule:checkout-oncall, step 1 of 3, round 1 of 3: P2 logged)" in first["detail"]
    await deliver(skipping, handle, "resolved")
    await state_becomes(handle, "restored")
    await pass_time(skipping, timedelta(minutes=6))  # step 2 would have paged at 5 min: restored stops it
    assert len(entries(await show(handle), "page")) == 1
    assert await deliver(skipping, handle, "firing") == "applied"
    view = await state_becomes(handle, "prioritized")
    [reopen] = entries(view, "reopen")
    [_, again] = await pages(handle, 2)
    expected = await on_call_at(pool, "checkout-oncall", at(reopen["at"]))
    assert again["detail"] == (
        f"paged {expected}:no-smtp (schedule:checkout-oncall, step 1 of 3, round 1 of 3: reopened)"
    )


# -- 2. reassigning pages the new group's on-call, or the person --------------------------------------


async def test_reassigning_to_another_group_pages_that_groups_on_call_instead(skipping, opened, pool: asyncpg.Pool):
    view, handle = await open_on(skipping, "checkout", "basket page slow for everyone", impact=1, urgency=2)  # P2
    opened.append(handle)
    [first] = await pages(handle, 1)
    assert first["detail"].startswith(f"paged {await on_call_at(pool, 'checkout-oncall', at(view['logged_at']))}:")
    assigned = await send(handle, Assign(actor="alice", group="platform-sre"))
    assert (assigned["state"], assigned["group"]) == ("in_progress", "platform-sre")
    [assign] = entries(await show(handle), "assign")
    [_, reassigned] = await pages(handle, 2)
    expected = await on_call_at(pool, "platform-sre", at(assign["at"]))
    assert reassigned["detail"] == (
        f"paged {expected}:no-smtp (schedule:platform-sre, step 1 of 3, round 1 of 3: assigned to platform-sre)"
    )
    await pass_time(skipping, timedelta(minutes=6))  # the new group's paging goes on; checkout's is replaced
    story_pages = await pages(handle, 3)
    assert len(story_pages) == 3
    assert "(schedule:platform-sre, step 2 of 3, round 1 of 3: assigned to platform-sre)" in story_pages[2]["detail"]
    assert [p for p in story_pages if p["detail"].endswith("P2 logged)")] == [first]
    await send(handle, Ack(actor=expected or "gus"))
    await pass_time(skipping, timedelta(minutes=30))
    assert len(entries(await show(handle), "page")) == 3


async def test_assigning_a_person_pages_that_person(skipping, opened, pool: asyncpg.Pool):
    _, handle = await open_on(skipping, "checkout", "basket page slow for everyone", impact=1, urgency=2)
    opened.append(handle)
    await pages(handle, 1)
    await send(handle, Ack(actor="dana"))
    await send(handle, Assign(actor="dana", group="checkout-oncall", person="erik"))
    [_, assigned] = await pages(handle, 2)
    assert assigned["detail"] == "paged erik:no-smtp (person:erik, step 1 of 1, round 1 of 3: assigned to erik)"
    await pass_time(skipping, timedelta(minutes=6))  # the default 5 min wait, then round 2
    assert (await pages(handle, 3))[2]["detail"] == (
        "paged erik:no-smtp (person:erik, step 1 of 1, round 2 of 3: assigned to erik)"
    )
    await send(handle, Ack(actor="erik"))
    await pass_time(skipping, timedelta(minutes=30))
    assert len(entries(await show(handle), "page")) == 3


# -- 3. the restore warning pages the service manager -------------------------------------------------


async def test_the_restore_warning_pages_the_service_manager(skipping, opened, pool: asyncpg.Pool):
    view, handle = await open_on(skipping, "checkout", "basket page slow for everyone", impact=1, urgency=2)  # P2
    opened.append(handle)
    logged = at(view["logged_at"])
    await pages(handle, 1)
    await send(handle, Ack(actor="dana"))  # the group's paging stops; the restore clock runs on
    await pass_time(skipping, timedelta(hours=5, minutes=50))  # P2: restore 8 h, warned at 75%: 6 h
    story = await show(handle)
    assert len(entries(story, "page")) == 1 and not entries(story, "restore_warning")
    await pass_time(skipping, timedelta(minutes=11))
    [_, warned] = await pages(handle, 2)
    [warning] = entries(await show(handle), "restore_warning")
    assert at(warning["at"]) - logged == near(timedelta(hours=6))
    assert warned["detail"] == (
        "paged maria.lind:no-smtp (person:maria.lind, step 1 of 1, round 1 of 1: restore target of P2 nearly due)"
    )
    assert at(warned["at"]) - at(warning["at"]) == near(timedelta(0))
    await pass_time(skipping, timedelta(minutes=30))  # one page only: repeat 0
    story = await show(handle)
    assert len(entries(story, "page")) == 2
    rows = await pool.fetch("SELECT person, page_seq, reason FROM pages WHERE number = $1 AND page_seq = 2",
                            story["number"])  # fmt: skip
    assert [(r["person"], r["reason"]) for r in rows] == [("maria.lind", "restore target of P2 nearly due")]


# -- 4. an events-API acknowledge stops the paging ----------------------------------------------------


async def test_an_events_api_acknowledge_stops_the_paging_with_no_further_steps(skipping, opened, pool: asyncpg.Pool):
    handle = await alert_incident(skipping)  # P2: checkout's policy, 5 min between steps
    opened.append(handle)
    await pages(handle, 1)
    await pass_time(skipping, timedelta(minutes=6))
    [_, second] = await pages(handle, 2)  # paging is under way: step 2 paged platform-sre
    assert "(schedule:platform-sre, step 2 of 3, round 1 of 3: P2 logged)" in second["detail"]
    assert await deliver(skipping, handle, "acknowledged") == "applied"
    view = await state_becomes(handle, "in_progress")
    [ack] = entries(view, "ack")
    assert ack["actor"] == "events_api"
    await pass_time(skipping, timedelta(hours=2))  # step 3 was due at 10 min, round 2 at 20 min
    story = await show(handle)
    assert len(entries(story, "page")) == 2 and not entries(story, "paging_exhausted")
    assert not entries(story, "response_escalation")  # the response target was met
    rows = await pool.fetch("SELECT DISTINCT page_seq FROM pages WHERE number = $1", story["number"])
    assert {r["page_seq"] for r in rows} == {1, 2}


async def test_an_events_api_acknowledge_stops_the_paging_of_an_escalated_incident(skipping, opened):
    handle = await alert_incident(skipping)
    opened.append(handle)
    await pages(handle, 1)
    await send(handle, Ack(actor="dana"))
    await send(handle, Escalate(actor="dana", to_group="platform-sre", reason="network path"))
    await pages(handle, 2)  # platform-sre's on-call is paged
    assert await deliver(skipping, handle, "acknowledged") == "applied"
    await pass_time(skipping, timedelta(minutes=30))
    assert len(entries(await show(handle), "page")) == 2  # the README: an events-API acknowledge stops it


# -- 5. a channel that fails, then takes the page, is retried ------------------------------------------


class FlakyInbox:
    """An SMTP server's handler that says "try again later" to the first `refusals` messages."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.refused: list[bytes] = []
        self.accepted: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        if len(self.refused) < self.refusals:
            self.refused.append(envelope.content)
            return "451 4.3.0 try again later"
        self.accepted.append(envelope)
        return "250 OK"


@pytest.fixture
def flaky_smtp() -> Any:
    inbox, port = FlakyInbox(refusals=2), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


async def test_a_channel_that_fails_then_succeeds_is_retried_and_the_row_ends_sent(flaky_smtp, pool: asyncpg.Pool):
    """The page's own try fails, so does the first redelivery (an activity failure, retried by its
    retry policy); the next try is taken. One row, sent, after three attempts; one email delivered."""
    inbox, port = flaky_smtp
    settings = PagingSettings(smtp=SmtpServer(host="127.0.0.1", port=port, sender="pager@example.com"),
                              public_url="http://127.0.0.1:8080", secret="test-page-secret")  # fmt: skip
    async with skipping_environment(pool, settings) as skipping:
        view, handle = await open_on(skipping, "checkout", "basket page slow for everyone", impact=1, urgency=2)
        try:
            person = await on_call_at(pool, "checkout-oncall", at(view["logged_at"]))
            [first] = await pages(handle, 1)
            assert first["detail"].startswith(f"paged {person}:email (schedule:checkout-oncall, step 1 of 3")
            await pass_time(skipping, timedelta(seconds=30))  # the redelivery's retry backoff (5 s)
            row = await eventually(
                lambda: pool.fetchrow("SELECT * FROM pages WHERE number = $1 AND page_seq = 1", view["number"]),
                lambda r: r is not None and r["status"] == "sent", seconds=20,
            )  # fmt: skip
            assert row is not None and row["person"] == person and row["channel"] == "email"
            assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 3, None), dict(row)
            assert row["sent_at"] is not None
            assert len(inbox.refused) == 2 and len(inbox.accepted) == 1  # delivered once, not doubled
            address = await pool.fetchval("SELECT person->>'email' FROM oncall_people WHERE name = $1", person)
            assert inbox.accepted[0].rcpt_tos == [address]
            assert f"Message-ID: <page-{row['id']}@incident-pipeline>".encode() in inbox.accepted[0].content
            rows = await pool.fetch("SELECT status FROM pages WHERE number = $1", view["number"])
            assert [r["status"] for r in rows] == ["sent"]  # one row: the retries wrote no other
            await send(handle, Ack(actor=person or "dana"))
        finally:
            await end(handle)
