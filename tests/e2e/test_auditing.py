"""What auditors rely on: search attributes, summaries and details, and an audit trail that agrees."""

import asyncio
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client, WorkflowHandle

from domain import commands as c
from domain.commands import OpenIncident, ViewRequest
from domain.enums import HoldReason
from starter.incidents import open_numbered
from tests.e2e.catalogs import FAST_SERVICE, load_fast_catalog
from tests.workflows.incident_driver import send
from workflows.contract import IncidentContract as I
from workflows.contract import name_of
from workflows.incident import IncidentWorkflow


async def _open(client: Client, pool: asyncpg.Pool, task_queue: str, service: str, summary: str,
                scale: tuple[int, int] = (2, 2)) -> Any:  # fmt: skip
    view = await open_numbered(client, pool, task_queue, OpenIncident(service=service, summary=summary, impact=scale[0],
                                                                     urgency=scale[1]), actor="auditor-test")  # fmt: skip
    return view, client.get_workflow_handle_for(IncidentWorkflow.run, view["workflow_id"])


async def _listed(client: Client, query: str) -> list[str]:
    """The workflow ids a visibility query finds, once it finds any (visibility follows closely, not instantly)."""
    found: list[str] = []
    for _ in range(50):
        found = [w.id async for w in client.list_workflows(query)]
        if found:
            break
        await asyncio.sleep(0.1)
    return found


async def _settled(handle: WorkflowHandle, pool: asyncpg.Pool) -> tuple[list[dict], list[asyncpg.Record]]:
    """The timeline from the workflow and the rows in Postgres, once the projection caught up."""
    for _ in range(100):
        view = await handle.query(IncidentWorkflow.view, ViewRequest(history=True))
        timeline, number = view["history"], view["number"]
        rows = await pool.fetch("SELECT * FROM incident_events WHERE number = $1 ORDER BY seq", number)
        if len(rows) == len(timeline):
            return timeline, rows
        await asyncio.sleep(0.1)
    raise AssertionError(f"projection never caught up: {len(rows)} rows for {len(timeline)} entries")


async def _assert_trail_agrees(handle: WorkflowHandle, pool: asyncpg.Pool) -> list[asyncpg.Record]:
    timeline, rows = await _settled(handle, pool)
    assert [(e["actor"], e["action"], e["from"], e["to"], e["detail"]) for e in timeline] == [
        (r["actor"], r["action"], r["from_state"], r["to_state"], r["detail"]) for r in rows
    ]
    return rows


PATHS = {
    "resolved": [(I.ack, c.Ack), (I.diagnose, lambda a: c.Diagnose(actor=a, finding="disk full")),
                 (I.workaround, lambda a: c.Workaround(actor=a, text="cleaned /var")),
                 (I.resolve, lambda a: c.Resolve(actor=a, resolution="log rotation")), (I.confirm, c.Confirm)],
    "held": [(I.ack, c.Ack), (I.hold, lambda a: c.Hold(actor=a, reason=HoldReason.CALLER, text="no answer")),
             (I.resume, c.Resume), (I.cancel, lambda a: c.Cancel(actor=a, reason="caller withdrew"))],
    "reopened": [(I.assign, lambda a: c.Assign(actor=a, group="workplace-it", person="eve")),
                 (I.resolve, lambda a: c.Resolve(actor=a, resolution="restarted")),
                 (I.reopen, lambda a: c.Reopen(actor=a, reason="back again")),
                 (I.change_priority, lambda a: c.ChangePriority(actor=a, impact=1, urgency=3, reason="more users")),
                 (I.escalate, lambda a: c.Escalate(actor=a, management=True, reason="third time")),
                 (I.cancel, lambda a: c.Cancel(actor=a, reason="merged"))],
}  # fmt: skip


@pytest.mark.parametrize("path", sorted(PATHS))
async def test_the_audit_trail_in_postgres_agrees_with_the_workflow_event_for_event(
    path: str, dev_client: Client, dev_worker: str, pool: asyncpg.Pool
):
    _, handle = await _open(dev_client, pool, dev_worker, "email", f"mail delivery delayed ({path})")
    for name, make in PATHS[path]:
        actor = f"{path}-engineer"
        await handle.execute_update(name, make(actor=actor) if isinstance(make, type) else make(actor))
    await handle.result()
    rows = await _assert_trail_agrees(handle, pool)
    # every update the history accepted is exactly one engineer entry of the trail
    accepted = [e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
                async for e in handle.fetch_history_events()
                if e.HasField("workflow_execution_update_accepted_event_attributes")]  # fmt: skip
    engineer_rows = [r["action"] for r in rows if r["actor"] == f"{path}-engineer"]
    assert len(accepted) == len(engineer_rows) + 1  # + the `registered` wait of open
    assert [a.replace(name_of(I.change_priority), "priority") for a in accepted[1:]] == engineer_rows


async def test_search_attributes_find_incidents_by_each_attribute(
    dev_client: Client, dev_worker: str, pool: asyncpg.Pool
):
    view, handle = await _open(dev_client, pool, dev_worker, "checkout", "card payments failing at PSP", (1, 1))
    await send(handle, c.Assign(actor="lead", group="platform-sre", person="ola"))
    number = view["number"]
    queries = [f'IncidentNumber = "{number}"', 'IncidentState = "in_progress"', 'IncidentPriority = "P1"',
               'IncidentService = "checkout"', 'IncidentCategory = "payment-provider"',
               'IncidentGroup = "platform-sre"', 'IncidentAssignee = "ola"', 'IncidentSource = "engineer"',
               "SlaBreached = false", "MajorIncident = true", "RestoreDeadline > '2000-01-01T00:00:00Z'"]  # fmt: skip
    for query in queries:
        found = await _listed(dev_client, f'{query} AND IncidentNumber = "{number}"')
        assert found == [view["workflow_id"]], query


async def test_a_breach_is_visible_to_auditors_in_search_attributes_details_and_history(
    dev_client: Client, dev_worker: str, pool: asyncpg.Pool
):
    await load_fast_catalog(pool, seconds=1.0)  # restore target 2 s on the real server
    view, handle = await _open(dev_client, pool, dev_worker, FAST_SERVICE, "mailbox quota full", (2, 2))
    for _ in range(100):
        if (await handle.query(IncidentWorkflow.view, ViewRequest()))["sla"]["breached"]:
            break
        await asyncio.sleep(0.1)
    found = [w.id async for w in dev_client.list_workflows(
        f'IncidentNumber = "{view["number"]}" AND SlaBreached = true')]  # fmt: skip
    assert found == [view["workflow_id"]]
    description = await handle.describe()
    assert await description.static_summary() == f"{view['number']} {FAST_SERVICE}: mailbox quota full"
    metadata = await handle.query("__temporal_workflow_metadata")
    details = metadata.current_details
    assert view["number"] in details and "SLA breached" in details and " by system at " in details
    summaries = [e.user_metadata.summary.data.decode() async for e in handle.fetch_history_events()
                 if e.HasField("user_metadata") and e.user_metadata.HasField("summary")]  # fmt: skip
    assert any("register" in s for s in summaries)
    assert any("restore target" in s for s in summaries)  # the breach timer says what it waits for
    assert any("record sla_breach" in s for s in summaries)
    await send(handle, c.Cancel(actor="auditor-test", reason="test over"))
    rows = await _assert_trail_agrees(handle, pool)  # the breach path: warning, breach, escalations
    assert {"restore_warning", "sla_breach", "response_escalation"} <= {r["action"] for r in rows}


async def test_the_readme_query_for_known_errors_finds_them_and_nothing_else(
    dev_client: Client, dev_worker: str, pool: asyncpg.Pool
):
    known, _ = await _open(dev_client, pool, dev_worker, "checkout", "coupon code rejected at checkout")
    real, _ = await _open(dev_client, pool, dev_worker, "checkout", "coupon service down")
    assert known["outcome"] == "known_error" and real["outcome"] is None
    query = ('IncidentState="closed" AND IncidentCategory IS NOT NULL AND IncidentPriority IS NULL'
             f' AND IncidentNumber IN ("{known["number"]}", "{real["number"]}")')  # fmt: skip
    assert await _listed(dev_client, query) == [known["workflow_id"]]


async def test_the_known_error_path_leaves_the_same_trail_in_postgres(
    dev_client: Client, dev_worker: str, pool: asyncpg.Pool
):
    known, handle = await _open(dev_client, pool, dev_worker, "checkout", "coupon rejected for a VIP customer")
    assert (await handle.result()).outcome == "known_error"
    rows = await _assert_trail_agrees(handle, pool)
    assert [r["action"] for r in rows] == ["register", "categorize", "known_error"]
