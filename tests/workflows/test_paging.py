"""Paging on durable timers until someone acknowledges, with the production worker on the time-skipping
server: the policy's steps and waits, its repeats, acknowledgement stopping it at once, a hand-off
while paging, and escalation paging the next line. Who is on call is looked up with the same domain
functions the paging activity uses, at the moment each step was due.
"""

from datetime import datetime, timedelta

import asyncpg

from domain.commands import Ack, Escalate
from domain.oncall import on_call
from stores.oncall import fetch_schedule
from tests.workflows.incident_driver import Handle, at, entries, eventually, near, open_on, pass_time, send, show
from workflows.task_queues import incident_queue, paging_queue


async def pages(handle: Handle, count: int) -> list[dict]:  # type: ignore[type-arg]
    """The incident's page entries, once there are `count` (a page's entry follows its activity)."""
    story = await eventually(lambda: show(handle), lambda v: len(entries(v, "page")) >= count)
    return entries(story, "page")


async def on_call_at(pool: asyncpg.Pool, schedule: str, moment: datetime) -> str | None:
    async with pool.acquire() as conn:
        return on_call(await fetch_schedule(conn, schedule), moment).person


async def test_a_p3_pages_by_its_policy_repeats_it_and_says_when_nobody_acknowledged(skipping, pool: asyncpg.Pool):
    view, handle = await open_on(skipping, "payroll", "payroll export hangs", impact=2, urgency=2)  # P3
    logged = at(view["logged_at"])
    [first] = await pages(handle, 1)  # at once: the on-call of hr-systems
    expected = await on_call_at(pool, "hr-systems", logged)
    assert (
        first["detail"].startswith(f"paged {expected}:")
        and "(schedule:hr-systems, step 1 of 2, round 1 of 2" in first["detail"]
    )
    assert first["detail"].endswith("P3 logged)")
    await pass_time(skipping, timedelta(minutes=16))  # payroll's policy: 15 min, then everyone of hr-systems
    second = (await pages(handle, 2))[1]
    assert "fatima:no-smtp" in second["detail"] and "jonas.berg:no-smtp" in second["detail"]  # everyone of the group
    assert "group:hr-systems, step 2 of 2" in second["detail"]
    await pass_time(skipping, timedelta(minutes=46))  # two rounds of 15 + 15 min, then nobody acknowledged
    story = await show(handle)
    assert len(entries(story, "page")) == 4
    [exhausted] = entries(story, "paging_exhausted")
    assert exhausted["detail"] == "nobody acknowledged after 2 round(s) of payroll default"
    assert at(exhausted["at"]) - logged == near(timedelta(minutes=60))
    await pass_time(skipping, timedelta(minutes=30))
    assert len(entries(await show(handle), "page")) == 4  # paging is over


async def activity_queues(handle: Handle) -> set[tuple[str, str]]:
    """(activity, task queue) of every activity the incident scheduled so far."""
    history = await handle.fetch_history()
    return {
        (event.activity_task_scheduled_event_attributes.activity_type.name,
         event.activity_task_scheduled_event_attributes.task_queue.name)
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
    }  # fmt: skip


async def test_pages_go_to_the_paging_task_queue_and_the_incidents_other_steps_to_its_own(skipping):
    """The worker serves both queues; a storm's records and notifications never hold a page's slot."""
    _, handle = await open_on(skipping, "payroll", "payroll export hangs", impact=2, urgency=2)  # P3
    await pages(handle, 1)
    queues = await activity_queues(handle)
    assert ("page", paging_queue(skipping.task_queue)) in queues
    assert {queue for name, queue in queues if name != "page"} == {skipping.task_queue}


async def test_a_p1_runs_and_pages_on_the_urgent_queue(skipping):
    """A P1's workflow tasks, steps and pages never wait for a slot behind a storm of P3s, and its page
    needs no trip through another queue (release 1.2)."""
    _, handle = await open_on(skipping, "payroll", "payroll is down for everyone", impact=1, urgency=1)
    await pages(handle, 1)
    assert (await handle.describe()).task_queue == incident_queue(skipping.task_queue, priority_key=1)
    queues = await activity_queues(handle)
    assert ("page", f"{skipping.task_queue}-urgent") in queues
    assert {queue for _, queue in queues} == {f"{skipping.task_queue}-urgent"}


async def test_registration_runs_inside_the_first_workflow_task(skipping):
    """Release 1.2: registering is a local activity (a marker in the history, no activity task), so the
    page is scheduled by the same workflow task that registered the incident."""
    _, handle = await open_on(skipping, "payroll", "payroll is down for everyone", impact=1, urgency=1)
    await pages(handle, 1)
    assert "register_and_look_up" not in {name for name, _ in await activity_queues(handle)}
    events = (await handle.fetch_history()).events
    [registered] = [e for e in events if e.marker_recorded_event_attributes.marker_name == "core_local_activity"]
    [first_page] = [e for e in events if e.activity_task_scheduled_event_attributes.activity_type.name == "page"]
    completed_tasks = [e.event_id for e in events if e.HasField("workflow_task_completed_event_attributes")]
    task_of = lambda event: max(i for i in completed_tasks if i < event.event_id)  # a task's commands follow it  # noqa: E731
    assert task_of(registered) == task_of(first_page) == completed_tasks[0]


async def test_an_acknowledgement_stops_the_paging_at_once(skipping, pool: asyncpg.Pool):
    _, handle = await open_on(skipping, "payroll", "payroll export hangs", impact=2, urgency=2)
    await pages(handle, 1)
    await send(handle, Ack(actor="jonas.berg"))
    await pass_time(skipping, timedelta(hours=2))
    story = await show(handle)
    assert len(entries(story, "page")) == 1 and not entries(story, "paging_exhausted")
    rows = await pool.fetch("SELECT person, channel, status, page_seq FROM pages WHERE number = $1", story["number"])
    assert {r["page_seq"] for r in rows} == {1}  # one page, as a row per person and channel
    assert {r["status"] for r in rows} == {"failed"} and {r["channel"] for r in rows} == {"no-smtp"}  # and why


async def test_a_hand_off_while_paging_pages_the_new_on_call(skipping, pool: asyncpg.Pool):
    view, handle = await open_on(skipping, "checkout", "basket page slow for everyone", impact=1, urgency=2)  # P2
    logged = at(view["logged_at"])
    await pages(handle, 1)
    # someone covers checkout-oncall from 15 minutes in: the second round's first step pages them
    await pool.execute("INSERT INTO oncall_overrides (schedule, person, starts_at, ends_at, created_by)"
                       " VALUES ('checkout-oncall', 'gus', $1, $2, 'test')",
                       logged + timedelta(minutes=15), logged + timedelta(hours=1))  # fmt: skip
    try:
        await pass_time(skipping, timedelta(minutes=21))  # 5 + 5 + 10 min: round 2 begins at 20 min
        story_pages = await pages(handle, 4)
        assert story_pages[0]["detail"].startswith(f"paged {await on_call_at(pool, 'checkout-oncall', logged)}:")
        assert "schedule:platform-sre, step 2 of 3" in story_pages[1]["detail"]
        assert story_pages[2]["detail"].startswith("paged maria.lind:")  # step 3: the service manager
        assert story_pages[3]["detail"].startswith("paged gus:") and "round 2 of 3" in story_pages[3]["detail"]
    finally:
        await pool.execute("DELETE FROM oncall_overrides WHERE created_by = 'test'")


async def test_escalating_to_the_next_support_line_pages_its_on_call(skipping, pool: asyncpg.Pool):
    _, handle = await open_on(skipping, "checkout", "basket page slow for everyone", impact=1, urgency=2)
    await pages(handle, 1)
    await send(handle, Ack(actor="dana"))  # the first paging stops
    await send(handle, Escalate(actor="dana", to_group="platform-sre", reason="network path"))
    [_, escalated] = await pages(handle, 2)
    assert "(schedule:platform-sre, step 1 of 3, round 1 of 3: escalated to platform-sre)" in escalated["detail"]
    expected = await on_call_at(pool, "platform-sre", at(entries(await show(handle), "escalate")[0]["at"]))
    assert escalated["detail"].startswith(f"paged {expected}:")
    acked = await send(handle, Ack(actor="gus"))  # acknowledging the page of an incident in work
    assert acked["state"] == "in_progress"
    story = await show(handle)
    assert entries(story, "page_ack")[0]["detail"] == "page acknowledged by gus: paging stopped"
    await pass_time(skipping, timedelta(minutes=30))
    assert len(entries(await show(handle), "page")) == 2


async def test_a_p4_is_told_by_notification_and_pages_nobody(skipping):
    _, handle = await open_on(skipping, "payroll", "one payslip has a typo", impact=2, urgency=3)  # P4
    await pass_time(skipping, timedelta(minutes=30))
    assert entries(await show(handle), "page") == []
