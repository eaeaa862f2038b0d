"""The recorded Alertmanager captures, byte for byte, through the running receiver into real workflows."""

from starter.intake.alertmanager import WORKFLOW_PREFIX
from starter.intake.events_api import event_route
from tests.e2e.receiver_support import CHECKOUT_KEY, Receiver, prioritized, receiver, sample  # noqa: F401


async def test_the_recorded_webhook_opens_one_p1_incident_for_its_group_and_its_resolve_restores_it(
    receiver: Receiver,
) -> None:
    firing = await receiver.alertmanager(sample("alertmanager-v4-firing"))
    assert firing.status == 202
    answer = await firing.json()
    workflow_id = answer["route"]
    assert workflow_id.startswith(f"{WORKFLOW_PREFIX}-") and answer["alerts"] == 2

    view = await receiver.view_when(workflow_id, prioritized)
    assert (view["service"], view["source"], view["priority"], view["category"]) == (
        "checkout", "alertmanager", "P1", "availability")  # fmt: skip
    assert view["summary"] == "5xx above 5% on checkout"
    assert view["alerts"] == {"firing": 2, "occurrences": 2, "keys": 2}

    resolved = await receiver.alertmanager(sample("alertmanager-v4-resolved"))
    assert resolved.status == 202 and (await resolved.json())["route"] == workflow_id
    view = await receiver.view_when(workflow_id, lambda v: v["state"] == "restored")
    assert view["alerts"]["firing"] == 0 and view["restored_at"] is not None
    assert view["sla"]["restore_left"] is None  # the restore clock stopped


async def test_the_recorded_pagerduty_notifier_events_open_and_restore_an_incident_by_routing_key(
    receiver: Receiver,
) -> None:
    trigger = sample("alertmanager-pagerduty-v2-trigger")
    answer = await receiver.enqueue(trigger)
    assert answer.status == 202
    assert await answer.json() == {"status": "success", "message": "Event processed",
                                   "dedup_key": trigger["dedup_key"]}  # fmt: skip

    workflow_id = event_route(CHECKOUT_KEY, trigger["dedup_key"])
    view = await receiver.view_when(workflow_id, prioritized)
    # the notifier's default severity "error" maps to impact 2 x urgency 1 in catalog.toml
    assert (view["service"], view["source"], view["priority"]) == ("checkout", "events_api", "P2")
    assert view["category"] == "performance"  # "QueueBacklog" -> keyword "backlog"
    assert view["alerts"] == {"firing": 1, "occurrences": 1, "keys": 1}

    resolve = await receiver.enqueue(sample("alertmanager-pagerduty-v2-resolve"))
    assert resolve.status == 202
    view = await receiver.view_when(workflow_id, lambda v: v["state"] == "restored")
    assert view["alerts"]["firing"] == 0
