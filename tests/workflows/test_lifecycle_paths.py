"""Every lifecycle path on the time-skipping server, against the real Postgres record."""

from datetime import timedelta

import asyncpg
import pytest
from temporalio.client import WorkflowUpdateFailedError

from domain.commands import Ack, Confirm, Diagnose, OpenIncident, Resolve, ViewRequest, Workaround
from starter.incidents import open_incident
from workflows.incident import IncidentWorkflow


async def test_an_incident_walks_from_logged_to_closed_and_postgres_records_every_step(skipping, pool: asyncpg.Pool):
    view = await open_incident(skipping.client, skipping.task_queue,
                               OpenIncident(service="checkout", summary="5xx above 5%", impact=2, urgency=2),
                               actor="alice")  # fmt: skip
    assert view["number"].startswith("INC-")
    assert view["state"] == "prioritized" and view["priority"] == "P3"
    handle = skipping.client.get_workflow_handle_for(IncidentWorkflow.run, view["workflow_id"])
    await handle.execute_update(IncidentWorkflow.ack, Ack(actor="alice"))
    await handle.execute_update(IncidentWorkflow.diagnose, Diagnose(actor="alice", finding="pod OOM"))
    await handle.execute_update(IncidentWorkflow.workaround, Workaround(actor="alice", text="scaled to 6"))
    await handle.execute_update(IncidentWorkflow.resolve, Resolve(actor="alice", resolution="memory limit raised"))
    final = await handle.execute_update(IncidentWorkflow.confirm, Confirm(actor="bob"))
    assert final["state"] == "closed" and final["outcome"] == "resolved"
    result = await handle.result()
    assert result.outcome == "resolved"
    row = await pool.fetchrow("SELECT * FROM incidents WHERE number = $1", view["number"])
    assert row["state"] == "closed" and row["outcome"] == "resolved" and row["priority"] == "P3"
    actions = [r["action"] for r in await pool.fetch(
        "SELECT action FROM incident_events WHERE number = $1 ORDER BY seq", view["number"])]  # fmt: skip
    assert actions == ["register", "categorize", "prioritize", "ack", "diagnose", "workaround", "resolve", "confirm"]
