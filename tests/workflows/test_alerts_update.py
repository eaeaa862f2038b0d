"""The receiver delivers alerts with the `alerts` Update: an open incident takes them, a closed one says no.

Also the bug real clients found: an alert that fires, resolves and fires again before anyone
acknowledged reopened the incident to in_progress with nobody on it, so `ack` was refused and
the response escalation was gone.
"""

from datetime import timedelta
from typing import Literal

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from activities.numbers import reserve_number
from domain.alerts import AlertEvent
from domain.commands import Ack, AlertBatch, Cancel, OpenIncident
from domain.enums import Source
from tests.workflows.incident_driver import Handle, entries, pass_time, send, show, state_becomes
from tests.workflows.skipping_server import SkippingEnv
from workflows.incident import IncidentWorkflow

Status = Literal["firing", "resolved", "acknowledged"]


async def alert_incident(skipping: SkippingEnv, severity: str = "error") -> Handle:
    """As the receiver opens one: numbered, started with the first firing alert (signal-with-start)."""
    number = await reserve_number(skipping.pool)
    now = await skipping.env.get_current_time()
    handle = await skipping.client.start_workflow(
        IncidentWorkflow.run,
        OpenIncident(service="checkout", summary="HighErrorRate", source=Source.EVENTS_API, severity=severity,
                     number=number),  # fmt: skip
        id=number, task_queue=skipping.task_queue, start_signal="alert",
        start_signal_args=[AlertBatch(actor="events_api", events=[AlertEvent(key="k1", status="firing", at=now)])],
    )  # fmt: skip
    await state_becomes(handle, "prioritized")
    return handle


async def deliver(skipping: SkippingEnv, handle: Handle, status: Status, key: str = "k1") -> str:
    now = await skipping.env.get_current_time()
    batch = AlertBatch(actor="events_api", events=[AlertEvent(key=key, status=status, at=now)])
    return await handle.execute_update(IncidentWorkflow.alerts, batch)


async def test_an_alert_that_fires_resolves_and_fires_again_before_an_ack_can_still_be_acknowledged(skipping):
    handle = await alert_incident(skipping)  # error: impact 2 x urgency 1 = P2, response within 30 min
    await deliver(skipping, handle, "resolved")
    await state_becomes(handle, "restored")
    await pass_time(skipping, timedelta(minutes=5))
    assert await deliver(skipping, handle, "firing") == "applied"
    view = await state_becomes(handle, "prioritized")  # nobody took it on: it still waits for someone
    [reopen] = entries(view, "reopen")
    assert (reopen["from"], reopen["to"]) == ("restored", "prioritized")
    assert view["assignee"] is None and view["acknowledged_at"] is None
    await pass_time(skipping, timedelta(minutes=26))  # 31 min after logging: the response target passed
    story = await show(handle)
    [escalation] = entries(story, "response_escalation")  # the escalation is kept
    assert escalation["detail"] == "response target missed: functional escalation checkout-oncall -> platform-sre"
    acked = await send(handle, Ack(actor="dana"))
    assert (acked["state"], acked["assignee"]) == ("in_progress", "dana")


async def test_an_events_api_acknowledgement_records_the_integration_but_makes_nobody_the_assignee(skipping):
    handle = await alert_incident(skipping)
    await deliver(skipping, handle, "acknowledged")
    view = await state_becomes(handle, "in_progress")
    assert view["assignee"] is None and view["acknowledged_at"] is not None
    [ack] = entries(view, "ack")
    assert ack["actor"] == "events_api"


async def test_a_closed_incident_refuses_more_alerts_so_the_receiver_opens_the_next_one(skipping):
    handle = await alert_incident(skipping)
    await send(handle, Cancel(actor="dana", reason="test alert"))
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await deliver(skipping, handle, "firing", key="k2")
    assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "IncidentClosed"
    assert "closed (cancelled)" in refused.value.cause.message
    assert "k2" not in {e["detail"] for e in (await show(handle))["history"]}
