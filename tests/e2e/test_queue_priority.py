"""Each new incident's workflow carries Temporal task priority from what its sender said, so when the
worker is behind, a P1's tasks are handed out before a P3 storm's (worker.py; make bench B7)."""

import asyncpg
import pytest
from temporalio.client import Client

from domain.commands import Cancel, OpenIncident
from starter.incidents import open_numbered
from tests.e2e.receiver_support import Receiver, fresh_group, prioritized, receiver  # noqa: F401
from tests.workflows.incident_driver import send
from workflows.incident import IncidentWorkflow


async def priority_key(client: Client, workflow_id: str) -> int:
    described = await client.get_workflow_handle(workflow_id).describe()
    return described.raw_description.workflow_execution_info.priority.priority_key


@pytest.mark.parametrize(("labels", "key"), [
    ({"severity": "critical"}, 1),
    ({"severity": "warning"}, 3),
    ({"severity": "critical", "impact": "3", "urgency": "3"}, 5),  # the sender's scale wins, as for the priority
])  # fmt: skip
async def test_an_alert_opens_its_incident_with_the_queue_priority_its_sender_asked_for(
    receiver: Receiver, labels: dict[str, str], key: int
) -> None:
    workflow_id = (await (await receiver.alertmanager(fresh_group(**labels))).json())["route"]
    view = await receiver.view_when(workflow_id, prioritized)
    assert await priority_key(receiver.client, view["workflow_id"]) == key
    await send(receiver.client.get_workflow_handle_for(IncidentWorkflow.run, view["workflow_id"]),
               Cancel(actor="test", reason="done"))  # fmt: skip


async def test_an_incident_opened_by_an_engineer_has_the_queue_priority_of_its_scale(
    dev_client: Client, pool: asyncpg.Pool, dev_worker: str
) -> None:
    client, task_queue = dev_client, dev_worker
    view = await open_numbered(client, pool, task_queue, OpenIncident(service="checkout", summary="checkout down",
                                                                     impact=1, urgency=1), actor="ana")  # fmt: skip
    assert view["priority"] == "P1"
    assert await priority_key(client, view["workflow_id"]) == 1
    await send(client.get_workflow_handle_for(IncidentWorkflow.run, view["workflow_id"]), Cancel(actor="ana",
                                                                                                  reason="drill"))  # fmt: skip
