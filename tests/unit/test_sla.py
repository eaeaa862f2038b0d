"""Deadline math: measured from the logged time, recomputed on a priority change, hold added back."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import acknowledgement, actions, sla
from domain.alerts import AlertEvent, apply_alerts
from domain.catalog import ServiceAgreement, Targets
from domain.enums import Action, HoldReason, Outcome, Priority, Source, State
from domain.incident import Incident
from domain.process import categorize, prioritize, register
from tests.unit.builders import SCALE, agreement

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
H, MIN = timedelta(hours=1), timedelta(minutes=1)

# DESIGN section 4, as agreed with the business.
AGREED = {
    Priority.P1: (15 * MIN, 4 * H),
    Priority.P2: (30 * MIN, 8 * H),
    Priority.P3: (2 * H, 24 * H),
    Priority.P4: (8 * H, 72 * H),
    Priority.P5: (24 * H, timedelta(days=7)),
}


def incident(priority: Priority = Priority.P3, *, source: Source = Source.ENGINEER, at: datetime = T0,
             agreed: ServiceAgreement | None = None, acknowledged: bool = True) -> Incident:  # fmt: skip
    """Logged at T0; the process steps run at `at` (they may run a little after logging)."""
    agreed = agreed or agreement()
    impact, urgency = SCALE[priority]
    new = Incident(workflow_id="incident-checkout-1", service="checkout", summary="5xx", source=source,
                   impact=impact, urgency=urgency, logged_at=T0)  # fmt: skip
    register(new, number="INC-1042", agreement=agreed, previous_number=None, at=at)
    categorize(new, agreed.categories[0], at)
    prioritize(new, at)
    if acknowledged:
        acknowledgement.take(new, "bob", at)
    return new


def test_the_defaults_are_the_agreed_times_of_the_design() -> None:
    assert {p: (t.response, t.restore) for p, t in agreement().targets.items()} == AGREED


@pytest.mark.parametrize("priority", list(Priority))
def test_deadlines_are_measured_from_the_logged_time(priority: Priority) -> None:
    inc = incident(priority, at=T0 + 10 * MIN)  # categorized and prioritized ten minutes after logging
    response, restore = AGREED[priority]
    assert sla.response_due(inc) == T0 + response
    assert sla.restore_due(inc, T0 + 20 * MIN) == T0 + restore
    due = sla.deadlines(inc, T0 + 20 * MIN)
    assert (due.response_due, due.restore_due) == (T0 + response, T0 + restore)


@pytest.mark.parametrize("ratio", [0.5, 0.75, 0.9])
@pytest.mark.parametrize("priority", list(Priority))
def test_the_restore_warning_comes_at_the_agreed_share_of_the_restore_time(priority: Priority, ratio: float) -> None:
    inc = incident(priority, agreed=agreement(warning_ratio=ratio))
    assert sla.restore_warning_at(inc, T0) == T0 + AGREED[priority][1] * ratio
    assert sla.deadlines(inc, T0).restore_warning_at == T0 + AGREED[priority][1] * ratio


def test_the_default_warning_comes_at_three_quarters_of_the_restore_time() -> None:
    assert sla.restore_warning_at(incident(Priority.P1), T0) == T0 + 3 * H


def test_a_service_with_a_tighter_agreement_gets_earlier_deadlines() -> None:
    targets = {**agreement().targets, Priority.P1: Targets(response="5m", restore="2h")}
    inc = incident(Priority.P1, agreed=agreement(targets=targets))
    assert (sla.response_due(inc), sla.restore_due(inc, T0)) == (T0 + 5 * MIN, T0 + 2 * H)


def test_an_incident_without_a_priority_has_no_deadlines_and_no_running_clock() -> None:
    unprioritized = Incident(workflow_id="w", service="checkout", summary="5xx", source=Source.ENGINEER,
                             agreement=agreement(), logged_at=T0)  # fmt: skip
    assert sla.targets(unprioritized) is None
    assert sla.deadlines(unprioritized, T0) == sla.Deadlines()
    assert sla.response_due(unprioritized) is None and sla.restore_due(unprioritized, T0) is None
    assert sla.restore_clock_running(unprioritized) is False


def test_a_priority_change_recomputes_the_deadlines_from_the_logged_time() -> None:
    inc = incident(Priority.P3)
    actions.change_priority(inc, "bob", T0 + 5 * H, 1, 1, "all customers affected")
    # measured from T0, not from the change: the P1 restore time has already passed
    assert (sla.response_due(inc), sla.restore_due(inc, T0 + 5 * H)) == (T0 + 15 * MIN, T0 + 4 * H)
    actions.change_priority(inc, "bob", T0 + 6 * H, 3, 3, "one user after all")
    assert sla.restore_due(inc, T0 + 6 * H) == T0 + timedelta(days=7)


def test_time_on_hold_is_added_back_to_the_restore_deadline() -> None:
    inc = incident(Priority.P2)
    actions.hold(inc, "bob", T0 + H, HoldReason.SUPPLIER, "PSP ticket")
    assert sla.restore_due(inc, T0 + 3 * H) == T0 + 8 * H + 2 * H, "a hold still running counts up to now"
    actions.resume(inc, "bob", T0 + 4 * H)
    assert sla.restore_due(inc, T0 + 10 * H) == T0 + 8 * H + 3 * H
    assert sla.response_due(inc) == T0 + 30 * MIN, "the response target is not moved by a hold"


def test_the_warning_moves_with_the_time_on_hold() -> None:
    inc = incident(Priority.P1)
    actions.hold(inc, "bob", T0 + H, HoldReason.CALLER, "no answer")
    actions.resume(inc, "bob", T0 + 2 * H)
    assert sla.restore_warning_at(inc, T0 + 2 * H) == T0 + 3 * H + H


@settings(max_examples=200, deadline=None)
@given(
    periods=st.lists(st.tuples(st.integers(0, 24 * 60 * 60), st.integers(0, 24 * 60 * 60)), max_size=12),
    still_on_hold=st.booleans(),
    looked_later=st.integers(0, 24 * 60 * 60),
    priority=st.sampled_from(list(Priority)),
)
def test_restore_due_is_logged_time_plus_target_plus_all_time_on_hold(
    periods: list[tuple[int, int]], still_on_hold: bool, looked_later: int, priority: Priority
) -> None:
    inc = incident(priority)
    at, held = T0, timedelta()
    for working, holding in periods:  # seconds of work, then seconds on hold
        at += timedelta(seconds=working)
        actions.hold(inc, "bob", at, HoldReason.SUPPLIER, "waiting")
        at += timedelta(seconds=holding)
        held += timedelta(seconds=holding)
        actions.resume(inc, "bob", at)
    if still_on_hold:
        actions.hold(inc, "bob", at, HoldReason.CALLER, "waiting")
        held += timedelta(seconds=looked_later)
    now = at + timedelta(seconds=looked_later)
    assert sla.restore_due(inc, now) == T0 + AGREED[priority][1] + held
    assert sla.paused_for(inc, now) == held
    assert sla.restore_clock_running(inc) is not still_on_hold


def test_a_look_at_the_clock_from_before_the_pause_never_takes_time_away() -> None:
    inc = incident(Priority.P3)
    actions.hold(inc, "bob", T0 + 2 * H, HoldReason.CALLER, "no answer")
    assert sla.paused_for(inc, T0 + H) == timedelta()


@pytest.mark.parametrize(
    ("step", "running"),
    [
        (lambda inc: None, True),
        (lambda inc: actions.hold(inc, "bob", T0 + H, HoldReason.CALLER, "x"), False),
        (lambda inc: actions.apply_workaround(inc, "bob", T0 + H, "restart"), False),
        (lambda inc: actions.resolve(inc, "bob", T0 + H, "fixed", None), False),
        (lambda inc: actions.close(inc, "bob", T0 + H, Action.CANCEL, Outcome.CANCELLED, "x"), False),
    ],
    ids=["in_progress", "on_hold", "restored", "resolved", "closed"],
)
def test_the_restore_clock_runs_only_while_the_service_is_down_and_worked_on(
    step: Callable[[Incident], None], running: bool
) -> None:
    inc = incident(Priority.P3)
    step(inc)
    assert sla.restore_clock_running(inc) is running


def test_the_restore_clock_runs_from_prioritization_before_anyone_acknowledges() -> None:
    assert sla.restore_clock_running(incident(Priority.P3, acknowledged=False)) is True


def test_time_to_restore_is_logged_to_restored_less_the_time_on_hold() -> None:
    inc = incident(Priority.P3)
    assert sla.time_to_restore(inc) is None
    actions.hold(inc, "bob", T0 + H, HoldReason.SUPPLIER, "PSP")
    actions.resume(inc, "bob", T0 + 3 * H)
    actions.apply_workaround(inc, "bob", T0 + 5 * H, "failover")
    assert sla.time_to_restore(inc) == 3 * H


def test_time_to_restore_after_a_reopen_counts_only_the_time_the_service_was_down() -> None:
    inc = incident(Priority.P3)
    actions.apply_workaround(inc, "bob", T0 + H, "restart")
    actions.reopen(inc, "ana", T0 + 3 * H, "down again")
    actions.apply_workaround(inc, "bob", T0 + 4 * H, "failover")
    assert sla.time_to_restore(inc) == 2 * H


def test_time_to_restore_excludes_a_hold_that_ended_with_the_alerts_resolving() -> None:
    inc = incident(Priority.P3, source=Source.ALERTMANAGER)
    apply_alerts(inc, [AlertEvent(key="fp1", status="firing", at=T0)], "alertmanager")
    actions.hold(inc, "bob", T0 + H, HoldReason.SUPPLIER, "PSP is looking")
    apply_alerts(inc, [AlertEvent(key="fp1", status="resolved", at=T0 + 3 * H)], "alertmanager")
    assert (inc.state, inc.restored_at) == (State.RESTORED, T0 + 3 * H)
    assert sla.time_to_restore(inc) == H  # 3h logged to restored, less 2h on hold (actual: 3h)
