"""The agreed times (DESIGN section 4) enforced by durable timers, days passing in milliseconds."""

from datetime import timedelta

import asyncpg
import pytest

from domain.commands import Ack, ChangePriority, Hold, Resume, Workaround
from domain.enums import HoldReason
from tests.workflows.incident_driver import (
    at,
    current_details,
    entries,
    near,
    open_on,
    outbox,
    pass_time,
    projected,
    send,
    show,
)  # fmt: skip
from workflows.search_attributes import INCIDENT_GROUP, MAJOR_INCIDENT, RESTORE_DEADLINE, SLA_BREACHED


async def test_an_unacknowledged_p3_climbs_one_support_line_per_missed_2_hour_response_target(
    skipping, pool: asyncpg.Pool
):
    view, handle = await open_on(skipping, "checkout", "5xx above 5%", impact=2, urgency=2)
    assert (view["priority"], view["group"]) == ("P3", "checkout-oncall")
    await pass_time(skipping, timedelta(hours=1, minutes=59))
    assert not entries(await show(handle), "response_escalation")
    await pass_time(skipping, timedelta(minutes=2))
    story = await show(handle)
    [first] = entries(story, "response_escalation")
    assert first["actor"] == "system" and first["detail"].endswith("checkout-oncall -> platform-sre")
    assert at(first["at"]) - at(view["logged_at"]) == near(timedelta(hours=2))
    assert story["group"] == "platform-sre" and story["state"] == "prioritized"
    assert (await handle.describe()).typed_search_attributes.get(INCIDENT_GROUP) == "platform-sre"
    escalated_to = await outbox(pool, view["number"], "response_escalation", 2)
    assert escalated_to == ["group:checkout-oncall", "group:platform-sre"]
    await pass_time(skipping, timedelta(hours=2))  # the last line: only the service manager is left
    second = entries(await show(handle), "response_escalation")[1]
    assert "no further support line after platform-sre" in second["detail"]
    await send(handle, Ack(actor="bob"))
    await pass_time(skipping, timedelta(hours=6))  # acknowledged: no further response escalation
    story = await show(handle)
    assert len(entries(story, "response_escalation")) == 2 and story["group"] == "platform-sre"
    row = await projected(pool, view["number"], lambda r: r["state"] == "in_progress")
    assert row["assignment_group"] == "platform-sre"


async def test_a_p2_warns_the_service_manager_at_75_percent_and_breaches_at_the_8_hour_restore_target(
    skipping, pool: asyncpg.Pool
):
    view, handle = await open_on(skipping, "payroll", "payslip login error for everyone", impact=1, urgency=2)
    assert view["priority"] == "P2"
    logged = at(view["logged_at"])
    assert at(view["sla"]["restore_due"]) - logged == timedelta(hours=8)
    await send(handle, Ack(actor="alice"))
    await pass_time(skipping, timedelta(hours=6, minutes=1))
    story = await show(handle)
    [warning] = entries(story, "restore_warning")
    assert at(warning["at"]) - logged == near(timedelta(hours=6))
    assert warning["detail"] == "75% of the restore time used: hierarchical escalation to jonas.berg"
    assert not entries(story, "sla_breach") and story["sla"]["breached"] is False
    assert await outbox(pool, view["number"], "restore_warning", 2) == ["group:hr-systems", "manager:jonas.berg"]
    await pass_time(skipping, timedelta(hours=2))
    story = await show(handle)
    [breach] = entries(story, "sla_breach")
    assert at(breach["at"]) - logged == near(timedelta(hours=8))
    assert story["sla"]["breached"] is True and story["state"] == "in_progress"
    assert (await handle.describe()).typed_search_attributes.get(SLA_BREACHED) is True
    row = await projected(pool, view["number"], lambda r: r["breached"])
    assert row["priority"] == "P2"
    breach_audiences = await outbox(pool, view["number"], "sla_breach", 3)
    assert breach_audiences == ["group:hr-systems", "manager:jonas.berg", "stakeholders"]


async def test_a_p1_is_escalated_at_once_and_sends_stakeholder_reminders_every_30_minutes_until_restored(
    skipping, pool: asyncpg.Pool
):
    view, handle = await open_on(skipping, "checkout", "checkout down for all customers", impact=1, urgency=1)
    assert view["priority"] == "P1" and view["major"] is True
    assert at(view["sla"]["restore_due"]) - at(view["logged_at"]) == timedelta(hours=2)  # checkout's own P1 target
    [major] = entries(await show(handle), "major_escalation")
    assert "maria.lind" in major["detail"]
    assert await outbox(pool, view["number"], "major_escalation", 2) == ["manager:maria.lind", "stakeholders"]
    assert (await handle.describe()).typed_search_attributes.get(MAJOR_INCIDENT) is True
    await send(handle, Ack(actor="alice"))
    await pass_time(skipping, timedelta(minutes=95))
    reminders = entries(await show(handle), "stakeholder_reminder")
    assert len(reminders) == 3
    times = [at(major["at"])] + [at(r["at"]) for r in reminders]
    assert [later - earlier for earlier, later in zip(times, times[1:])] == [near(timedelta(minutes=30))] * 3
    restored = await send(handle, Workaround(actor="alice", text="failover"))
    assert restored["state"] == "restored"
    await pass_time(skipping, timedelta(hours=3))  # well past the 2 h restore target
    story = await show(handle)
    assert len(entries(story, "stakeholder_reminder")) == 3  # no reminder after the restore
    assert not entries(story, "sla_breach") and story["sla"]["breached"] is False  # restored in time
    assert len(await outbox(pool, view["number"], "stakeholder_reminder", 6)) == 6  # stakeholders + group, 3 times


async def test_time_on_hold_is_added_to_the_restore_deadline_so_the_original_deadline_passes_without_breach(
    skipping, pool: asyncpg.Pool
):
    view, handle = await open_on(skipping, "payroll", "payslip login error for everyone", impact=1, urgency=2)
    original_due = at(view["sla"]["restore_due"])
    await send(handle, Ack(actor="alice"))
    await pass_time(skipping, timedelta(hours=1))
    held = await send(handle, Hold(actor="alice", reason=HoldReason.SUPPLIER,
                                                                   text="ERP vendor investigating"))  # fmt: skip
    assert held["state"] == "on_hold" and held["sla"]["restore_paused"] is True
    assert "(paused)" in await current_details(handle)  # what auditors see in the Web UI
    await pass_time(skipping, timedelta(hours=3))
    resumed = await send(handle, Resume(actor="alice"))
    assert resumed["state"] == "in_progress" and resumed["sla"]["restore_paused"] is False
    assert at(resumed["sla"]["restore_due"]) - original_due == near(timedelta(hours=3))
    assert (await handle.describe()).typed_search_attributes.get(RESTORE_DEADLINE) == at(resumed["sla"]["restore_due"])
    await pass_time(skipping, timedelta(hours=4, minutes=30))  # 8h30 after logging: the original deadline is past
    story = await show(handle)
    assert not entries(story, "sla_breach") and not entries(story, "restore_warning")
    await pass_time(skipping, timedelta(hours=3))  # 11h30: past the deadline moved by the 3 h on hold
    story = await show(handle)
    [breach] = entries(story, "sla_breach")
    assert at(breach["at"]) - original_due == near(timedelta(hours=3))
    assert at(entries(story, "restore_warning")[0]["at"]) - at(view["logged_at"]) == near(timedelta(hours=9))
    row = await projected(pool, view["number"], lambda r: r["breached"])
    assert row["paused_seconds"] == pytest.approx(3 * 3600, abs=5)


async def test_a_priority_change_recomputes_every_deadline_from_the_logged_time(skipping, pool: asyncpg.Pool):
    view, handle = await open_on(skipping, "checkout", "5xx above 5%", impact=2, urgency=2)
    logged = at(view["logged_at"])
    await send(handle, Ack(actor="alice"))
    await pass_time(skipping, timedelta(hours=1))
    raised = await send(handle, ChangePriority(actor="alice", impact=1, urgency=2, reason="all regions"))
    assert raised["priority"] == "P2"
    assert at(raised["sla"]["restore_due"]) - logged == near(timedelta(hours=8))  # not 1 h + 8 h
    assert at(raised["sla"]["response_due"]) - logged == timedelta(minutes=30)
    await pass_time(skipping, timedelta(hours=5, minutes=1))
    [warning] = entries(await show(handle), "restore_warning")
    assert at(warning["at"]) - logged == near(timedelta(hours=6))  # 75% of P2's 8 h, from the logged time
    lowered = await send(handle, ChangePriority(actor="alice", impact=2, urgency=2, reason="one region"))
    assert lowered["priority"] == "P3" and at(lowered["sla"]["restore_due"]) - logged == near(timedelta(hours=24))
    await pass_time(skipping, timedelta(hours=4))  # 10 h: past P2's deadline, inside P3's
    story = await show(handle)
    assert not entries(story, "sla_breach") and story["sla"]["breached"] is False
    await pass_time(skipping, timedelta(hours=8, minutes=1))  # 18 h: the P3 warning, a second one
    assert [at(w["at"]) - logged for w in entries(await show(handle), "restore_warning")] == [
        near(timedelta(hours=6)), near(timedelta(hours=18))]  # fmt: skip
    row = await projected(pool, view["number"], lambda r: r["priority"] == "P3")
    assert row["restore_due"] - logged == near(timedelta(hours=24))


async def test_raising_an_incident_to_p1_declares_a_major_incident_and_starts_the_stakeholder_cadence(skipping):
    view, handle = await open_on(skipping, "checkout", "5xx above 5%", impact=2, urgency=2)
    await send(handle, Ack(actor="alice"))
    await pass_time(skipping, timedelta(minutes=10))
    raised = await send(handle, ChangePriority(actor="alice", impact=1, urgency=1, reason="revenue stopped"))
    assert raised["priority"] == "P1" and raised["major"] is True
    await pass_time(skipping, timedelta(minutes=31))
    story = await show(handle)
    [major] = entries(story, "major_escalation")
    assert major["actor"] == "alice"
    [reminder] = entries(story, "stakeholder_reminder")
    assert at(reminder["at"]) - at(major["at"]) == near(timedelta(minutes=30))
    assert (await handle.describe()).typed_search_attributes.get(MAJOR_INCIDENT) is True
