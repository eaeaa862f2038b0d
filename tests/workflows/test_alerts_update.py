"""The receiver delivers alerts with the `alerts` Update: an open incident takes them, a closed one says no.

Also the bug real clients found: an alert that fires, resolves and fires again before anyone
acknowledged reopened the incident to in_progress with nobody on it, so `ack` was refused and
the response escalation was gone.
"""

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from domain.commands import Ack, Cancel
from tests.workflows.incident_driver import alert_incident, deliver, entries, pass_time, send, show, state_becomes


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
