"""Alert events inside an incident: occurrences, restore when all resolve, reopen on re-fire."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from domain import acknowledgement, actions
from domain.alerts import INBOX_MEMORY, AlertEvent, apply_alerts, first_sight, settle_alerts
from domain.catalog import DEFAULT_TARGETS, Category, ServiceAgreement, Targets
from domain.enums import Action, HoldReason, Outcome, Source, State
from domain.incident import AlertContext, Incident, Link
from domain.lifecycle import refusal
from domain.process import categorize, prioritize, register

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
AM = "alertmanager"


def incident(*, acknowledged: bool = True) -> Incident:
    """A P2 alert incident for checkout, logged and prioritized at T0, acknowledged at T0."""
    agreed = ServiceAgreement(
        name="checkout", owner_group="checkout-oncall", service_manager="maria.lind",
        support_lines=["service-desk", "checkout-oncall"],
        targets={p: Targets(response=r, restore=s) for p, (r, s) in DEFAULT_TARGETS.items()},
        categories=[Category(name="availability", group="checkout-oncall")], severity={},
    )  # fmt: skip
    new = Incident(workflow_id="alert-checkout-g1", service="checkout", summary="5xx above 5%",
                   source=Source.ALERTMANAGER, impact=1, urgency=2, logged_at=T0)  # fmt: skip
    register(new, number="INC-7", agreement=agreed, previous_number=None, at=T0)
    categorize(new, agreed.categories[0], T0)
    prioritize(new, T0)
    if acknowledged:
        acknowledgement.take(new, "bob", T0)
    return new


def event(key: str, status: str, minute: int, description: str = "") -> AlertEvent:
    return AlertEvent(key=key, status=status, at=T0 + minute * MIN, description=description)  # type: ignore[arg-type]


def test_a_new_firing_alert_becomes_an_occurrence_and_a_timeline_entry() -> None:
    inc = incident()
    apply_alerts(inc, [event("fp1", "firing", 1, "HighErrorRate 7%")], AM)
    occurrence = inc.occurrences["fp1"]
    assert (occurrence.firing, occurrence.count) == (True, 1)
    assert (occurrence.first_seen, occurrence.last_seen) == (T0 + MIN, T0 + MIN)
    assert occurrence.description == "HighErrorRate 7%"
    entry = inc.timeline[-1]
    assert (entry.action, entry.actor, entry.detail) == (Action.ALERT_FIRED, AM, "alert fp1 firing: HighErrorRate 7%")
    assert inc.state is State.IN_PROGRESS and inc.firing_alerts == 1


def test_a_repeated_delivery_of_a_firing_alert_is_counted_but_not_written_again() -> None:
    inc = incident()
    apply_alerts(inc, [event("fp1", "firing", 1)], AM)
    entries = len(inc.timeline)
    apply_alerts(inc, [event("fp1", "firing", 5), event("fp1", "firing", 10)], AM)
    assert (inc.occurrences["fp1"].count, inc.occurrences["fp1"].last_seen) == (3, T0 + 10 * MIN)
    assert inc.occurrences["fp1"].first_seen == T0 + MIN
    assert len(inc.timeline) == entries


def test_a_very_long_alert_description_is_cut_in_the_timeline() -> None:
    inc = incident()
    apply_alerts(inc, [event("fp1", "firing", 1, "x" * 5000)], AM)
    assert len(inc.timeline[-1].detail) == 500


def test_when_every_alert_resolves_the_service_is_restored_and_the_clock_paused() -> None:
    inc = incident()
    apply_alerts(inc, [event("fp1", "firing", 1), event("fp2", "firing", 2)], AM)
    apply_alerts(inc, [event("fp1", "resolved", 20)], AM)
    assert (inc.state, inc.firing_alerts, inc.paused_since) == (State.IN_PROGRESS, 1, None)
    apply_alerts(inc, [event("fp2", "resolved", 30)], AM)
    assert (inc.state, inc.restored_at, inc.paused_since) == (State.RESTORED, T0 + 30 * MIN, T0 + 30 * MIN)
    entry = inc.timeline[-1]
    assert entry.action is Action.ALERT_RESOLVED
    assert (entry.from_state, entry.to_state) == (State.IN_PROGRESS, State.RESTORED)
    assert entry.notify == ["group:checkout-oncall", "stakeholders"]


def test_an_unacknowledged_incident_whose_alerts_resolve_is_restored_too() -> None:
    inc = incident(acknowledged=False)
    apply_alerts(inc, [event("fp1", "firing", 1), event("fp1", "resolved", 9)], AM)
    assert (inc.state, inc.restored_at) == (State.RESTORED, T0 + 9 * MIN)


def test_an_incident_on_hold_whose_alerts_resolve_is_restored() -> None:
    inc = incident()
    apply_alerts(inc, [event("fp1", "firing", 1)], AM)
    actions.hold(inc, "bob", T0 + 5 * MIN, HoldReason.SUPPLIER, "PSP")
    apply_alerts(inc, [event("fp1", "resolved", 9)], AM)
    assert (inc.state, inc.timeline[-1].from_state) == (State.RESTORED, State.ON_HOLD)


def test_a_re_fire_of_a_restored_incident_reopens_it_and_runs_the_clock_again() -> None:
    inc = incident()
    apply_alerts(inc, [event("fp1", "firing", 1)], AM)
    apply_alerts(inc, [event("fp1", "resolved", 10)], AM)
    apply_alerts(inc, [event("fp1", "firing", 25)], AM)
    assert (inc.state, inc.restored_at, inc.paused_since) == (State.IN_PROGRESS, None, None)
    assert inc.paused_seconds == 15 * 60
    entry = inc.timeline[-1]
    assert (entry.action, entry.from_state, entry.to_state) == (Action.REOPEN, State.RESTORED, State.IN_PROGRESS)
    assert entry.detail == "reopened: alert fp1 fired again within the quiet window"
    assert inc.occurrences["fp1"].count == 2


def test_an_alert_acknowledged_at_the_source_acknowledges_the_incident_but_a_tool_is_no_assignee() -> None:
    inc = incident(acknowledged=False)
    apply_alerts(inc, [event("fp1", "firing", 1), event("fp1", "acknowledged", 3)], "events_api")
    assert (inc.state, inc.acknowledged_at, inc.assignee) == (State.IN_PROGRESS, T0 + 3 * MIN, "")
    assert (inc.timeline[-1].action, inc.timeline[-1].actor) == (Action.ACK, "events_api")
    assert inc.occurrences["fp1"].count == 1 and inc.firing_alerts == 1
    assert inc.responders() == []  # nobody handled it yet: an integration is not a person


def test_an_alert_that_fires_resolves_and_fires_again_before_anyone_acknowledged_still_needs_an_ack() -> None:
    inc = incident(acknowledged=False)
    apply_alerts(inc, [event("fp1", "firing", 1)], AM)
    apply_alerts(inc, [event("fp1", "resolved", 2)], AM)
    assert inc.state is State.RESTORED
    apply_alerts(inc, [event("fp1", "firing", 3)], AM)
    entry = inc.timeline[-1]
    assert (entry.action, entry.from_state, entry.to_state) == (Action.REOPEN, State.RESTORED, State.PRIORITIZED)
    assert inc.acknowledged_at is None and inc.assignee == ""
    assert refusal(inc, Action.ACK) is None  # acknowledgeable, so its response target still escalates
    acknowledgement.take(inc, "dana", T0 + 4 * MIN)
    assert (inc.state, inc.assignee) == (State.IN_PROGRESS, "dana")


def test_alert_context_of_the_newest_firing_alert_is_kept_on_the_incident() -> None:
    inc = incident()
    first = AlertContext(runbook_url="https://runbooks.example/a", details={"region": "eu-1"})
    newer = AlertContext(description="all pods", links=[Link(href="https://grafana.example/d/1", text="dash")])
    apply_alerts(inc, [event("fp1", "firing", 1).model_copy(update={"context": first})], AM)
    apply_alerts(inc, [event("fp2", "firing", 2).model_copy(update={"context": newer}),
                       event("fp1", "resolved", 3).model_copy(update={"context": first})], AM)  # fmt: skip
    assert inc.alert_context == newer


def test_an_acknowledgement_of_an_incident_already_in_progress_changes_nothing() -> None:
    inc = incident()
    before = inc.model_copy(deep=True)
    apply_alerts(inc, [event("fp9", "acknowledged", 3)], "events_api")
    assert inc == before


def test_an_empty_delivery_changes_nothing() -> None:
    inc = incident()
    before = inc.model_copy(deep=True)
    apply_alerts(inc, [], AM)
    settle_alerts(inc, None, AM)
    assert inc == before


def test_alerts_for_a_closed_incident_are_counted_but_do_not_move_it() -> None:
    inc = incident()
    apply_alerts(inc, [event("fp1", "firing", 1)], AM)
    actions.close(inc, "bob", T0 + 5 * MIN, Action.CANCEL, Outcome.CANCELLED, "test alert")
    entries = len(inc.timeline)
    apply_alerts(inc, [event("fp1", "resolved", 6), event("fp1", "firing", 8), event("fp2", "firing", 9)], AM)
    assert (inc.state, len(inc.timeline)) == (State.CLOSED, entries)
    assert (inc.occurrences["fp1"].count, inc.occurrences["fp2"].count) == (2, 1)


def test_an_alert_event_needs_a_time_zone_and_a_known_status() -> None:
    with pytest.raises(ValidationError):
        AlertEvent(key="fp1", status="firing", at=datetime(2024, 3, 4, 9, 0))
    with pytest.raises(ValidationError):
        AlertEvent(key="fp1", status="silenced", at=T0)  # type: ignore[arg-type]


deliveries = st.lists(
    st.lists(st.tuples(st.sampled_from(["fp1", "fp2", "fp3"]), st.sampled_from(["firing", "resolved", "acknowledged"])),
             max_size=8),
    max_size=10,
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(deliveries)
def test_the_occurrence_counts_add_up_to_the_firing_events_applied(batches: list[list[tuple[str, str]]]) -> None:
    inc = incident()
    minute = 0
    for batch in batches:
        events = []
        for key, status in batch:
            minute += 1
            events.append(event(key, status, minute))
        apply_alerts(inc, events, AM)
    firing_events = sum(1 for batch in batches for _, status in batch if status == "firing")
    assert sum(o.count for o in inc.occurrences.values()) == firing_events
    last_status = {key: status for batch in batches for key, status in batch if status != "acknowledged"}
    assert {k: o.firing for k, o in inc.occurrences.items()} == {k: s == "firing" for k, s in last_status.items()}


@settings(max_examples=200, deadline=None)
@given(deliveries)
def test_after_every_delivery_the_incident_is_restored_exactly_when_no_alert_fires(
    batches: list[list[tuple[str, str]]],
) -> None:
    inc = incident()
    minute = 0
    ever_fired = False
    for batch in batches:
        events = []
        for key, status in batch:
            minute += 1
            events.append(event(key, status, minute))
        apply_alerts(inc, events, AM)
        ever_fired = ever_fired or any(status == "firing" for _, status in batch)
        if not ever_fired:  # a "resolved" for an alert never seen firing restores nothing
            assert inc.state is State.IN_PROGRESS
            continue
        restored = inc.firing_alerts == 0
        assert inc.state is (State.RESTORED if restored else State.IN_PROGRESS)
        assert (inc.paused_since is not None) is restored
        assert (inc.restored_at is not None) is restored
    assert [e.seq for e in inc.timeline] == list(range(1, len(inc.timeline) + 1))


def test_an_acknowledgement_that_arrives_before_prioritization_is_applied_once_prioritized() -> None:
    inc = incident()
    inc.state, inc.acknowledged_at, inc.assignee = State.CATEGORIZED, None, ""
    apply_alerts(inc, [event("fp1", "firing", 1), event("fp1", "acknowledged", 2)], AM)
    assert inc.state is State.CATEGORIZED and inc.early_ack == AM
    inc.state = State.PRIORITIZED
    settle_alerts(inc, T0 + 3 * MIN, "system")
    assert inc.state is State.IN_PROGRESS and inc.acknowledged_at == T0 + 3 * MIN


def test_first_sight_passes_new_inbox_rows_and_events_without_a_row_and_drops_rows_seen_before():
    incident = Incident(workflow_id="w", service="checkout", summary="s", source=Source.ALERTMANAGER, logged_at=T0)
    first = [
        AlertEvent(key="a", status="firing", at=T0, inbox_seq=1),
        AlertEvent(key="b", status="firing", at=T0, inbox_seq=2),
    ]
    assert first_sight(incident, first) == first
    again = [
        *first,
        AlertEvent(key="a", status="firing", at=T0, inbox_seq=3),
        AlertEvent(key="a", status="firing", at=T0),
    ]
    assert [e.inbox_seq for e in first_sight(incident, again)] == [3, None]
    assert incident.inbox_seen == [1, 2, 3]


def test_first_sight_remembers_only_the_latest_rows():
    incident = Incident(workflow_id="w", service="checkout", summary="s", source=Source.ALERTMANAGER, logged_at=T0)
    for seq in range(1, INBOX_MEMORY + 11):
        first_sight(incident, [AlertEvent(key="a", status="firing", at=T0, inbox_seq=seq)])
    assert len(incident.inbox_seen) == INBOX_MEMORY and incident.inbox_seen[0] == 11
