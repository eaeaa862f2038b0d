"""Alert incidents fed by the `alert` signal: restore when every alert resolves, close when quiet."""

from datetime import timedelta
from typing import Literal

import asyncpg

from domain.alerts import AlertEvent
from domain.commands import AlertBatch, OpenIncident, Reopen, Workaround
from domain.enums import Source
from tests.workflows.incident_driver import Handle, at, entries, near, pass_time, projected, send, show, state_becomes
from tests.workflows.skipping_server import SkippingEnv
from workflows.incident import IncidentWorkflow

Status = Literal["firing", "resolved", "acknowledged"]


async def start_alert_incident(skipping: SkippingEnv, workflow_id: str) -> Handle:
    handle = await skipping.client.start_workflow(
        IncidentWorkflow.run,
        OpenIncident(service="checkout", summary="HighErrorRate: 5xx above 5%", source=Source.ALERTMANAGER,
                     severity="critical"),  # fmt: skip
        id=workflow_id, task_queue=skipping.task_queue,
    )  # fmt: skip
    await state_becomes(handle, "prioritized")
    return handle


async def deliver(skipping: SkippingEnv, handle: Handle, *alerts: tuple[str, Status]) -> None:
    now = await skipping.env.get_current_time()  # the receiver stamps events with the time it took them
    events = [AlertEvent(key=key, status=status, at=now, description=f"{key} {status}") for key, status in alerts]
    await handle.signal(IncidentWorkflow.alert, AlertBatch(actor="alertmanager", events=events))


async def test_alerts_resolving_restore_the_service_and_the_incident_closes_after_a_quiet_30_minutes(
    skipping, pool: asyncpg.Pool
):
    handle = await start_alert_incident(skipping, "alert-quiet-close")
    view = await show(handle)
    assert (view["priority"], view["source"], view["major"]) == ("P1", "alertmanager", True)  # critical -> 1 x 1
    await deliver(skipping, handle, ("fp-a", "firing"), ("fp-b", "firing"))
    await deliver(skipping, handle, ("fp-a", "acknowledged"))
    view = await state_becomes(handle, "in_progress")
    assert view["alerts"] == {"firing": 2, "occurrences": 2, "keys": 2}
    assert [e["detail"] for e in entries(view, "alert_fired")] == ["alert fp-a firing: fp-a firing",
                                                                  "alert fp-b firing: fp-b firing"]  # fmt: skip
    await pass_time(skipping, timedelta(minutes=5))
    await deliver(skipping, handle, ("fp-a", "resolved"))
    await pass_time(skipping, timedelta(minutes=1))
    assert (await show(handle))["state"] == "in_progress"  # fp-b still firing
    await deliver(skipping, handle, ("fp-b", "resolved"))
    view = await state_becomes(handle, "restored")
    [restored] = entries(view, "alert_resolved")
    assert restored["actor"] == "alertmanager" and view["sla"]["restore_paused"] is True
    await pass_time(skipping, timedelta(minutes=29))
    assert (await show(handle))["state"] == "restored"
    await pass_time(skipping, timedelta(minutes=2))
    result = await handle.result()
    assert (result.state, result.outcome) == ("closed", "resolved")
    closing = (await show(handle))["history"][-1]
    assert (closing["action"], closing["actor"]) == ("quiet_close", "system")
    assert at(closing["at"]) - at(restored["at"]) == near(timedelta(minutes=30))
    row = await projected(pool, result.number, lambda r: r["state"] == "closed")
    assert row["outcome"] == "resolved" and row["occurrences"] == 2 and row["source"] == "alertmanager"


async def test_an_alert_firing_again_within_the_quiet_window_reopens_the_same_incident(skipping):
    handle = await start_alert_incident(skipping, "alert-refire")
    await deliver(skipping, handle, ("fp-a", "firing"), ("fp-b", "firing"))
    await deliver(skipping, handle, ("fp-a", "acknowledged"), ("fp-a", "resolved"), ("fp-b", "resolved"))
    restored = await state_becomes(handle, "restored")
    await pass_time(skipping, timedelta(minutes=20))
    await deliver(skipping, handle, ("fp-b", "firing"))
    view = await state_becomes(handle, "in_progress")
    [reopen] = entries(view, "reopen")
    assert (reopen["actor"], reopen["from"]) == ("alertmanager", "restored")
    assert reopen["detail"] == "reopened: alert fp-b fired again within the quiet window"
    assert view["number"] == restored["number"] and view["alerts"]["firing"] == 1
    assert view["sla"]["restore_paused"] is False
    await pass_time(skipping, timedelta(minutes=40))  # the first quiet window is over, but fp-b fires
    view = await show(handle)
    assert view["state"] == "in_progress" and not entries(view, "quiet_close")
    await deliver(skipping, handle, ("fp-b", "resolved"))
    second = entries(await state_becomes(handle, "restored"), "alert_resolved")[1]
    await pass_time(skipping, timedelta(minutes=31))
    assert (await handle.result()).outcome == "resolved"
    closing = (await show(handle))["history"][-1]
    assert closing["action"] == "quiet_close" and at(closing["at"]) - at(second["at"]) == near(timedelta(minutes=30))


async def test_the_quiet_window_starts_when_the_last_alert_resolves_even_after_an_earlier_workaround(skipping):
    handle = await start_alert_incident(skipping, "alert-workaround-first")
    await deliver(skipping, handle, ("fp-a", "firing"), ("fp-a", "acknowledged"))
    await state_becomes(handle, "in_progress")
    await send(handle, Workaround(actor="alice", text="feature flag off"))
    await pass_time(skipping, timedelta(hours=1))  # the alert keeps firing for an hour after the workaround
    await deliver(skipping, handle, ("fp-a", "resolved"))
    await pass_time(skipping, timedelta(minutes=1))
    # still restored: quiet until 30 min after fp-a resolved, not 30 min after the workaround
    assert (await show(handle))["state"] == "restored"


async def test_a_repeated_resolved_delivery_does_not_undo_an_engineers_reopen(skipping):
    handle = await start_alert_incident(skipping, "alert-duplicate-resolved")
    await deliver(skipping, handle, ("fp-a", "firing"), ("fp-a", "acknowledged"))
    await deliver(skipping, handle, ("fp-a", "resolved"))
    await state_becomes(handle, "restored")
    await send(handle, Reopen(actor="alice", reason="customers still see errors"))
    await pass_time(skipping, timedelta(minutes=5))
    await deliver(skipping, handle, ("fp-a", "resolved"))  # Alertmanager re-sends the resolved group
    await pass_time(skipping, timedelta(minutes=1))
    # a repeat that silences nothing new changes nothing
    assert (await show(handle))["state"] == "in_progress"


async def test_inbox_rows_sent_again_after_a_receiver_restart_count_once(skipping):
    """The inbox forwards at least once: a row Temporal took before the receiver stopped comes again."""
    handle = await start_alert_incident(skipping, "alert-inbox-once")

    async def rows(*sent: tuple[int, str, Status]) -> None:
        now = await skipping.env.get_current_time()
        events = [AlertEvent(key=key, status=status, at=now, inbox_seq=seq) for seq, key, status in sent]
        await handle.signal(IncidentWorkflow.alert, AlertBatch(actor="alertmanager", events=events))

    await rows((11, "fp-a", "firing"), (12, "fp-b", "firing"))
    await rows((11, "fp-a", "firing"), (12, "fp-b", "firing"), (13, "fp-a", "firing"))  # 11, 12 again, 13 new
    await rows((12, "fp-b", "firing"))  # only a repeat: changes nothing
    await deliver(skipping, handle, ("fp-a", "firing"))  # no inbox row (signalled directly): always counts
    view = await show(handle)
    assert view["alerts"] == {"firing": 2, "occurrences": 4, "keys": 2}
    assert len(entries(view, "alert_fired")) == 2
