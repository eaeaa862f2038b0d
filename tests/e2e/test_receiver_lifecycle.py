"""Alerts move their incident: restore when all resolve, reopen on re-fire, a new incident after close;
events-API acknowledge and resolve; nothing ever opens an incident except a firing alert."""

import asyncio
import uuid

import pytest
from temporalio.service import RPCError, RPCStatusCode

from domain.commands import Cancel
from starter.intake.events_api import event_route
from tests.e2e.receiver_support import (  # noqa: F401
    CHECKOUT_KEY,
    Receiver,
    fresh_group,
    prioritized,
    receiver,
    with_status,
)  # fmt: skip
from tests.workflows.incident_driver import send
from workflows.incident import IncidentWorkflow


def trigger(dedup_key: str | None = None, summary: str = "payment page timeout above 2s") -> dict[str, object]:
    event: dict[str, object] = {
        "routing_key": CHECKOUT_KEY,
        "event_action": "trigger",
        "payload": {"summary": summary, "source": "synthetic-probe", "severity": "warning"},
    }
    if dedup_key is not None:
        event["dedup_key"] = dedup_key
    return event


async def assert_no_workflow(receiver: Receiver, route: str) -> None:
    await receiver.forwarded()  # the 2xx came before the forwarder's call: absent only once it was made
    assert await receiver.pool.fetchval("SELECT count(*) FROM alert_routes WHERE route = $1", route) == 0
    with pytest.raises(RPCError) as raised:  # nor an incident of an earlier release under the group's id
        await receiver.client.get_workflow_handle(route).describe()
    assert raised.value.status is RPCStatusCode.NOT_FOUND


async def test_a_resolved_group_restores_its_incident_and_a_re_fire_reopens_the_same_incident(
    receiver: Receiver,
) -> None:
    firing = fresh_group()
    workflow_id = (await (await receiver.alertmanager(firing)).json())["route"]
    opened = await receiver.view_when(workflow_id, prioritized)

    assert (await receiver.alertmanager(with_status(firing, "resolved"))).status == 202
    restored = await receiver.view_when(workflow_id, lambda v: v["state"] == "restored")
    assert restored["sla"]["restore_paused"] is True  # the quiet window runs; 30 min cannot pass on a dev server

    assert (await receiver.alertmanager(firing)).status == 202
    # nobody acknowledged it yet: reopened, it still waits for someone (and its response target runs)
    reopened = await receiver.view_when(workflow_id, lambda v: v["alerts"]["occurrences"] == 4)
    assert reopened["state"] == "prioritized" and reopened["acknowledged_at"] is None
    assert reopened["number"] == opened["number"] and reopened["restored_at"] is None
    assert reopened["alerts"] == {"firing": 2, "occurrences": 4, "keys": 2}


async def test_after_an_incident_is_closed_the_next_firing_delivery_opens_a_new_incident_linked_to_it(
    receiver: Receiver,
) -> None:
    firing = fresh_group()
    route = (await (await receiver.alertmanager(firing)).json())["route"]
    first = await receiver.view_when(route, prioritized)
    handle = receiver.client.get_workflow_handle_for(IncidentWorkflow.run, first["workflow_id"])
    await send(handle, Cancel(actor="test", reason="closing to test the next run"))
    await asyncio.wait_for(handle.result(), timeout=30)

    assert (await receiver.alertmanager(with_status(firing, "resolved"))).status == 202  # closes nothing, opens nothing
    await receiver.forwarded()
    assert (await receiver.view(route))["number"] == first["number"]

    assert (await receiver.alertmanager(firing)).status == 202
    # the closed incident refuses the alerts; the forwarder opens the next one, under a new number
    second = await receiver.view_when(route, lambda v: prioritized(v) and v["number"] != first["number"])
    assert second["previous_number"] == first["number"] and second["workflow_id"] == second["number"]
    assert second["alerts"]["occurrences"] == 2  # the old incident's count is not carried over


async def test_impact_and_urgency_labels_override_the_severity_mapping(receiver: Receiver) -> None:
    body = fresh_group(severity="critical", impact="3", urgency="3")
    workflow_id = (await (await receiver.alertmanager(body)).json())["route"]
    view = await receiver.view_when(workflow_id, prioritized)
    assert (view["impact"], view["urgency"], view["priority"]) == (3, 3, "P5")


async def test_events_api_trigger_acknowledge_resolve_walk_one_incident(receiver: Receiver) -> None:
    answer = await receiver.enqueue(trigger())  # no dedup_key: the receiver makes one and returns it
    assert answer.status == 202
    dedup_key = (await answer.json())["dedup_key"]
    assert len(dedup_key) == 32 and int(dedup_key, 16) >= 0
    workflow_id = event_route(CHECKOUT_KEY, dedup_key)
    opened = await receiver.view_when(workflow_id, prioritized)
    assert (opened["state"], opened["priority"], opened["source"]) == ("prioritized", "P3", "events_api")

    acknowledge = {"routing_key": CHECKOUT_KEY, "event_action": "acknowledge", "dedup_key": dedup_key}
    assert (await receiver.enqueue(acknowledge)).status == 202
    acked = await receiver.view_when(workflow_id, lambda v: v["state"] == "in_progress")
    # the integration acknowledged: recorded as the actor, but an assignee is a person or a group
    assert acked["assignee"] is None and acked["acknowledged_at"] is not None

    assert (await receiver.enqueue({**acknowledge, "event_action": "resolve"})).status == 202
    resolved = await receiver.view_when(workflow_id, lambda v: v["state"] == "restored")
    assert resolved["number"] == opened["number"]


async def test_a_repeated_trigger_with_the_same_dedup_key_counts_again_in_the_same_incident(
    receiver: Receiver,
) -> None:
    dedup_key = f"probe-{uuid.uuid4().hex}"
    for _ in range(3):
        answer = await receiver.enqueue(trigger(dedup_key))
        assert answer.status == 202 and (await answer.json())["dedup_key"] == dedup_key
    view = await receiver.view_when(event_route(CHECKOUT_KEY, dedup_key),
                                    lambda v: v["alerts"]["occurrences"] == 3)  # fmt: skip
    assert view["alerts"]["keys"] == 1


async def test_acknowledge_or_resolve_for_an_unknown_dedup_key_answers_202_and_opens_nothing(
    receiver: Receiver,
) -> None:
    dedup_key = f"never-triggered-{uuid.uuid4().hex}"
    for action in ("acknowledge", "resolve"):
        answer = await receiver.enqueue({"routing_key": CHECKOUT_KEY, "event_action": action, "dedup_key": dedup_key})
        assert answer.status == 202 and (await answer.json())["dedup_key"] == dedup_key
    await assert_no_workflow(receiver, event_route(CHECKOUT_KEY, dedup_key))


async def test_a_resolved_webhook_for_a_group_without_an_incident_opens_nothing(receiver: Receiver) -> None:
    answer = await receiver.alertmanager(with_status(fresh_group(), "resolved"))
    assert answer.status == 202
    body = await answer.json()
    assert body["result"] == "queued"
    await assert_no_workflow(receiver, body["route"])
