"""Every lifecycle path on the time-skipping server, against the real Postgres record."""

import logging
from datetime import timedelta

import asyncpg
import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from domain.commands import Ack, Cancel, Confirm, Diagnose, Escalate, OpenIncident, Reopen, Resolve, Workaround
from domain.enums import Source
from starter.incidents import open_incident, open_numbered
from stores.incidents import reserve_number
from tests.workflows.incident_driver import (
    actions,
    at,
    entries,
    near,
    open_on,
    outbox,
    pass_time,
    process_steps,
    projected,
    send,
    show,
    state_becomes,
)  # fmt: skip
from workflows.incident import IncidentWorkflow
from workflows.search_attributes import INCIDENT_GROUP, INCIDENT_STATE


async def test_an_incident_walks_from_logged_to_closed_and_postgres_records_every_step(skipping, pool: asyncpg.Pool):
    view = await open_numbered(skipping.client, skipping.pool, skipping.task_queue,
                               OpenIncident(service="checkout", summary="5xx above 5%", impact=2, urgency=2),
                               actor="alice")  # fmt: skip
    assert view["number"].startswith("INC-") and view["workflow_id"] == view["number"]
    assert view["state"] == "prioritized" and view["priority"] == "P3"
    handle = skipping.client.get_workflow_handle_for(IncidentWorkflow.run, view["workflow_id"])
    await send(handle, Ack(actor="alice"))
    await send(handle, Diagnose(actor="alice", finding="pod OOM"))
    await send(handle, Workaround(actor="alice", text="scaled to 6"))
    await send(handle, Resolve(actor="alice", resolution="memory limit raised"))
    final = await send(handle, Confirm(actor="bob"))
    assert final["state"] == "closed" and final["outcome"] == "resolved"
    result = await handle.result()
    assert result.outcome == "resolved"
    row = await pool.fetchrow("SELECT * FROM incidents WHERE number = $1", view["number"])
    assert row["state"] == "closed" and row["outcome"] == "resolved" and row["priority"] == "P3"
    actions = [r["action"] for r in await pool.fetch(
        "SELECT action FROM incident_events WHERE number = $1 ORDER BY seq", view["number"])]  # fmt: skip
    assert process_steps(actions) == ["register", "categorize", "prioritize", "ack", "diagnose", "workaround",
                                      "resolve", "confirm"]  # fmt: skip


async def test_an_event_matching_a_known_error_closes_as_known_error_with_the_documented_workaround(
    skipping, pool: asyncpg.Pool
):
    view, handle = await open_on(skipping, "checkout", "coupon code rejected at checkout")
    assert view["state"] == "closed" and view["outcome"] == "known_error"
    assert view["known_error"] == "KE-101" and view["problem"] == "PRB-77"
    assert view["workaround"].startswith("Ask the customer to re-enter the code in upper case")
    assert view["priority"] is None and view["sla"]["restore_due"] is None  # no SLA clock
    result = await handle.result()
    assert (result.state, result.outcome) == ("closed", "known_error")
    assert await actions(handle) == ["register", "categorize", "known_error"]
    row = await projected(pool, view["number"], lambda r: r["outcome"] == "known_error")
    assert row["state"] == "closed" and row["priority"] is None and row["known_error_id"] == "KE-101"
    assert row["restore_due"] is None and row["breached"] is False


async def test_an_event_for_a_service_outside_the_catalog_is_refused_and_recorded_as_rejected(
    skipping, pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING)  # the worker runs in this process
    workflow_id = await reserve_number(pool)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await open_incident(skipping.client, skipping.task_queue,
                            OpenIncident(service="unknown-svc", summary="disk full", number=workflow_id),
                            actor="alice")  # fmt: skip
    assert isinstance(refused.value.cause, ApplicationError)
    assert refused.value.cause.type == "ServiceNotInCatalog"
    assert "'unknown-svc' is not in the agreed catalog" in refused.value.cause.message
    handle = skipping.client.get_workflow_handle_for(IncidentWorkflow.run, workflow_id)
    result = await handle.result()
    assert result.number is None and result.state == "rejected"
    # the auditors' list shows a refused start, never one that looks like a logged incident
    assert (await handle.describe()).typed_search_attributes.get(INCIDENT_STATE) == "rejected"
    history = await handle.fetch_history()
    assert not any(
        e.HasField("activity_task_failed_event_attributes") for e in history.events
    )  # an answer, not a failure
    # nor a failed attempt (retries leave no event in history): no traceback in the worker's log
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    assert await pool.fetchval("SELECT count(*) FROM rejected_events WHERE service = 'unknown-svc'") >= 1
    assert await pool.fetchval("SELECT count(*) FROM incidents WHERE workflow_id = $1", workflow_id) == 0
    assert result.rejected is not None and "unknown-svc" in result.rejected
    rejected = await pool.fetchrow("SELECT * FROM rejected_events WHERE payload->>'workflow_id' = $1", workflow_id)
    assert rejected is not None and rejected["service"] == "unknown-svc" and rejected["source"] == "engineer"
    assert rejected["reason"] == "service not in the agreed catalog"
    assert await pool.fetchval("SELECT count(*) FROM incidents WHERE workflow_id = $1", workflow_id) == 0


async def test_an_open_incident_can_be_cancelled_and_ends_with_outcome_cancelled(skipping, pool: asyncpg.Pool):
    view, handle = await open_on(skipping, "email", "mailbox quota warning for one user", impact=3, urgency=3)
    assert view["priority"] == "P5"
    final = await send(handle, Cancel(actor="alice", reason="opened twice"))
    assert (final["state"], final["outcome"]) == ("closed", "cancelled")
    result = await handle.result()
    assert (result.state, result.outcome) == ("closed", "cancelled")
    last = (await show(handle))["history"][-1]
    assert (last["action"], last["actor"], last["from"], last["detail"]) == (
        "cancel", "alice", "prioritized", "cancelled: opened twice")  # fmt: skip
    row = await projected(pool, view["number"], lambda r: r["state"] == "closed")
    assert row["outcome"] == "cancelled" and row["closed_at"] is not None
    assert (await handle.describe()).typed_search_attributes.get(INCIDENT_STATE) == "closed"


async def test_a_resolved_incident_reopened_within_the_confirmation_window_goes_back_to_in_progress(
    skipping, pool: asyncpg.Pool
):
    view, handle = await open_on(skipping, "checkout", "5xx above 5%", impact=2, urgency=2)
    await send(handle, Ack(actor="alice"))
    await send(handle, Workaround(actor="alice", text="restarted pods"))
    resolved = await send(handle, Resolve(actor="alice", resolution="rollback"))
    assert resolved["state"] == "resolved" and resolved["sla"]["restore_paused"] is True
    await pass_time(skipping, timedelta(days=2))  # inside the 3-day confirmation window
    reopened = await send(handle, Reopen(actor="carol", reason="5xx are back"))
    assert reopened["state"] == "in_progress" and reopened["outcome"] is None
    assert reopened["restored_at"] is None and reopened["resolved_at"] is None
    assert reopened["sla"]["restore_paused"] is False  # the restore clock runs again
    assert reopened["number"] == view["number"]  # the same incident, not a new one
    await pass_time(skipping, timedelta(days=4))  # the old confirmation window must not close it
    story = await show(handle)
    assert story["state"] == "in_progress" and not entries(story, "auto_close")
    steps = process_steps([e["action"] for e in story["history"]])
    assert steps[steps.index("resolve") :] == ["resolve", "reopen", "restore_warning", "sla_breach"]
    # the restore clock resumed where the workaround stopped it: 18 h (75% of 24 h) after the reopen
    reopened_at = at(entries(story, "reopen")[0]["at"])
    warned_at = at(entries(story, "restore_warning")[0]["at"])
    assert warned_at - reopened_at == near(timedelta(hours=18))
    row = await projected(pool, view["number"], lambda r: r["state"] == "in_progress")
    assert row["resolved_at"] is None


async def test_a_resolved_incident_closes_itself_as_resolved_by_system_after_the_3_day_confirmation_window(
    skipping, pool: asyncpg.Pool
):
    view, handle = await open_on(skipping, "checkout", "5xx above 5%", impact=2, urgency=2)
    await send(handle, Ack(actor="alice"))
    resolved = await send(handle, Resolve(actor="alice", resolution="rollback"))
    await pass_time(skipping, timedelta(days=2, hours=23))
    assert (await show(handle))["state"] == "resolved"
    await pass_time(skipping, timedelta(hours=1, minutes=1))
    result = await handle.result()
    assert (result.state, result.outcome) == ("closed", "resolved")
    story = await show(handle)
    closing = story["history"][-1]
    assert (closing["action"], closing["actor"], closing["from"], closing["to"]) == (
        "auto_close", "system", "resolved", "closed")  # fmt: skip
    assert at(closing["at"]) - at(resolved["resolved_at"]) == near(timedelta(days=3))
    row = await projected(pool, view["number"], lambda r: r["state"] == "closed")
    assert row["outcome"] == "resolved"


async def test_the_confirmation_window_is_the_one_agreed_for_the_service(skipping):
    # payroll agreed 5 days instead of the default 3
    _, handle = await open_on(skipping, "payroll", "payslip export job failed", impact=2, urgency=3)
    await send(handle, Ack(actor="alice"))
    await send(handle, Resolve(actor="alice", resolution="job re-run"))
    await pass_time(skipping, timedelta(days=4))
    assert (await show(handle))["state"] == "resolved"
    await pass_time(skipping, timedelta(days=1, minutes=1))
    view = await state_becomes(handle, "closed")
    assert view["history"][-1]["action"] == "auto_close" and "5 days" in view["history"][-1]["detail"]


async def test_an_incident_that_follows_a_closed_one_gets_its_own_number_and_links_to_the_old_one(
    skipping, pool: asyncpg.Pool
):
    first, handle = await open_on(skipping, "checkout", "5xx above 5%", impact=2, urgency=2)
    await send(handle, Cancel(actor="alice", reason="flapping probe"))
    await handle.result()
    second = await open_numbered(skipping.client, skipping.pool, skipping.task_queue,
                                 OpenIncident(service="checkout", summary="5xx above 5% again", impact=2, urgency=2,
                                              previous_workflow_id=first["workflow_id"]),
                                 actor="alice")  # fmt: skip
    assert second["number"] != first["number"] and second["previous_number"] == first["number"]
    assert second["state"] == "prioritized" and second["workflow_id"] == second["number"]
    latest_run = skipping.client.get_workflow_handle_for(IncidentWorkflow.run, second["workflow_id"])
    assert (await show(latest_run))["history"][0]["detail"].endswith(f"; follows {first['number']}")
    row = await projected(pool, second["number"], lambda r: r["last_seq"] >= 3)
    assert row["previous_number"] == first["number"]
    old = await pool.fetchrow("SELECT state, outcome FROM incidents WHERE number = $1", first["number"])
    assert (old["state"], old["outcome"]) == ("closed", "cancelled")  # the old record is left as it was


async def test_a_failure_at_a_supplier_is_an_incident_of_the_affected_service(skipping, pool: asyncpg.Pool):
    view, handle = await open_on(skipping, "checkout", "card payments failing at the PSP", impact=1, urgency=2,
                                 source=Source.SUPPLIER, supplier="payfast")  # fmt: skip
    assert (view["source"], view["supplier"], view["priority"]) == ("supplier", "payfast", "P2")
    assert (view["category"], view["group"]) == ("payment-provider", "platform-sre")  # its incident model
    register = (await show(handle))["history"][0]
    assert register["detail"] == "supplier incident for checkout: card payments failing at the PSP (supplier payfast)"
    row = await projected(pool, view["number"], lambda r: r["state"] == "prioritized")
    assert row["source"] == "supplier" and row["assignment_group"] == "platform-sre"


async def test_an_engineer_escalates_functionally_to_another_group_and_hierarchically_to_management(
    skipping, pool: asyncpg.Pool
):
    view, handle = await open_on(skipping, "checkout", "5xx above 5%", impact=2, urgency=2)
    await send(handle, Ack(actor="alice"))
    moved = await send(handle, Escalate(actor="alice", to_group="platform-sre", reason="network path"))
    assert moved["group"] == "platform-sre" and moved["state"] == "in_progress"
    await send(handle, Escalate(actor="alice", management=True, reason="customer credits needed"))
    details = [e["detail"] for e in entries(await show(handle), "escalate")]
    assert details == ["functional escalation to platform-sre: network path",
                       "hierarchical escalation to management: customer credits needed"]  # fmt: skip
    assert (await handle.describe()).typed_search_attributes.get(INCIDENT_GROUP) == "platform-sre"
    assert await outbox(pool, view["number"], "escalate", at_least=2) == ["group:platform-sre", "manager:maria.lind"]
