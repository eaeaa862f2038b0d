"""Which agreed time comes next, and what happens when it comes."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import acknowledgement, actions
from domain.alerts import AlertEvent, apply_alerts
from domain.catalog import DEFAULT_TARGETS, ServiceAgreement, Targets
from domain.enums import Action, HoldReason, Outcome, Priority, Source, State
from domain.incident import Incident
from domain.process import categorize, prioritize, register
from domain.timers import DueTimer, TimerKind, fire, next_timer
from tests.unit.builders import SCALE, agreement

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
H, MIN = timedelta(hours=1), timedelta(minutes=1)
RESTORE = {p: Targets(response=r, restore=s).restore for p, (r, s) in DEFAULT_TARGETS.items()}
RESPONSE = {p: Targets(response=r, restore=s).response for p, (r, s) in DEFAULT_TARGETS.items()}


def incident(priority: Priority = Priority.P3, *, acknowledged: bool = False, source: Source = Source.ENGINEER,
             agreed: ServiceAgreement | None = None, group: str | None = None) -> Incident:  # fmt: skip
    agreed = agreed or agreement()
    impact, urgency = SCALE[priority]
    new = Incident(workflow_id="incident-checkout-1", service="checkout", summary="5xx", source=source,
                   impact=impact, urgency=urgency, logged_at=T0)  # fmt: skip
    register(new, number="INC-1042", agreement=agreed, previous_number=None, at=T0)
    categorize(new, agreed.categories[0], T0)
    new.group = group or new.group
    prioritize(new, T0)
    if acknowledged:
        acknowledgement.take(new, "bob", T0 + MIN)
    return new


def walk(
    inc: Incident, until: TimerKind = TimerKind.RESTORE_BREACH, limit: int = 200
) -> list[tuple[TimerKind, datetime]]:
    """Sleep until each next timer and fire it, as the workflow does, until `until` has fired."""
    fired: list[tuple[TimerKind, datetime]] = []
    while len(fired) < limit and (timer := next_timer(inc, fired[-1][1] if fired else T0)) is not None:
        fire(inc, timer.kind, timer.at)
        fired.append((timer.kind, timer.at))
        if timer.kind is until:
            break
    return fired


def first(fired: list[tuple[TimerKind, datetime]], kind: TimerKind) -> tuple[int, datetime]:
    index = [k for k, _ in fired].index(kind)
    return index, fired[index][1]


@pytest.mark.parametrize("priority", list(Priority))
def test_an_unacknowledged_incident_first_meets_its_response_target(priority: Priority) -> None:
    assert next_timer(incident(priority), T0) == DueTimer(kind=TimerKind.RESPONSE, at=T0 + RESPONSE[priority])


@pytest.mark.parametrize("priority", list(Priority))
def test_response_comes_before_the_warning_and_the_warning_before_the_breach(priority: Priority) -> None:
    fired = walk(incident(priority))
    response, warning, breach = (first(fired, k) for k in (TimerKind.RESPONSE, TimerKind.RESTORE_WARNING,
                                                           TimerKind.RESTORE_BREACH))  # fmt: skip
    assert response[0] == 0 and response[0] < warning[0] < breach[0]
    assert (response[1], warning[1], breach[1]) == (T0 + RESPONSE[priority], T0 + RESTORE[priority] * 0.75,
                                                    T0 + RESTORE[priority])  # fmt: skip


@pytest.mark.parametrize("ratio", [0.5, 0.75, 0.9])
def test_the_warning_fires_at_the_configured_share_and_escalates_to_the_service_manager(ratio: float) -> None:
    inc = incident(Priority.P2, acknowledged=True, agreed=agreement(warning_ratio=ratio))
    timer = next_timer(inc, T0)
    assert timer == DueTimer(kind=TimerKind.RESTORE_WARNING, at=T0 + 8 * H * ratio)
    fire(inc, timer.kind, timer.at)
    entry = inc.timeline[-1]
    assert inc.restore_warned and entry.action is Action.RESTORE_WARNING
    assert entry.detail == f"{round(ratio * 100)}% of the restore time used: hierarchical escalation to maria.lind"
    assert entry.notify == ["manager:maria.lind", "group:service-desk"]


def test_the_breach_marks_the_incident_breached_and_tells_everyone() -> None:
    inc = incident(Priority.P2, acknowledged=True)
    fired = walk(inc)
    assert fired == [(TimerKind.RESTORE_WARNING, T0 + 6 * H), (TimerKind.RESTORE_BREACH, T0 + 8 * H)]
    assert inc.breached is True
    entry = inc.timeline[-1]
    assert (entry.action, entry.at, entry.detail) == (Action.SLA_BREACH, T0 + 8 * H, "restore target of P2 breached")
    assert set(entry.notify) == {"manager:maria.lind", "group:service-desk", "stakeholders"}
    assert next_timer(inc, T0 + 8 * H) is None, "a breach is told once"


def test_a_missed_response_climbs_one_support_line_per_target_period() -> None:
    inc = incident(Priority.P3)
    assert inc.group == "service-desk"
    fire(inc, TimerKind.RESPONSE, T0 + 2 * H)
    assert (inc.group, inc.response_escalations) == ("checkout-oncall", 1)
    assert inc.timeline[-1].detail == "response target missed: functional escalation service-desk -> checkout-oncall"
    assert inc.timeline[-1].notify == ["group:checkout-oncall", "group:service-desk"]
    assert next_timer(inc, T0 + 2 * H) == DueTimer(kind=TimerKind.RESPONSE, at=T0 + 4 * H)
    fire(inc, TimerKind.RESPONSE, T0 + 4 * H)
    assert (inc.group, inc.response_escalations) == ("checkout-oncall", 2)
    assert inc.timeline[-1].detail == "response target missed, no further support line after checkout-oncall"
    assert inc.timeline[-1].notify == ["manager:maria.lind"]


def test_a_group_outside_the_support_lines_escalates_to_the_first_line() -> None:
    inc = incident(Priority.P3, group="dba-team")
    fire(inc, TimerKind.RESPONSE, T0 + 2 * H)
    assert inc.group == "service-desk"


@pytest.mark.parametrize(
    "taken_on",
    [
        lambda inc: acknowledgement.take(inc, "bob", T0 + MIN),
        lambda inc: actions.assign(inc, "lead", T0 + MIN, "checkout-oncall", ""),
    ],
)
def test_an_incident_taken_on_has_no_response_timer(taken_on: Callable[[Incident], None]) -> None:
    inc = incident(Priority.P3)
    taken_on(inc)
    assert TimerKind.RESPONSE not in [kind for kind, _ in walk(inc)]


def test_a_major_incident_reminds_stakeholders_at_the_agreed_cadence_until_restored() -> None:
    inc = incident(Priority.P1, acknowledged=True, agreed=agreement(major_update_interval=20 * MIN))
    fired = walk(inc, until=TimerKind.RESTORE_WARNING)
    reminders = [at for kind, at in fired if kind is TimerKind.STAKEHOLDER_UPDATE]
    assert reminders == [T0 + n * 20 * MIN for n in range(1, 9)]  # 20m .. 2h40m, the warning comes at 3h
    assert inc.timeline[-2].action is Action.STAKEHOLDER_REMINDER
    assert inc.timeline[-2].notify == ["stakeholders", "group:service-desk"]
    actions.apply_workaround(inc, "bob", T0 + 3 * H + MIN, "failover")
    assert next_timer(inc, T0 + 3 * H + MIN) is None


def test_the_reminder_asks_for_a_public_update_and_one_posted_moves_the_next_reminder() -> None:
    inc = incident(Priority.P1, acknowledged=True, agreed=agreement(major_update_interval=20 * MIN))
    fire(inc, TimerKind.STAKEHOLDER_UPDATE, T0 + 20 * MIN)
    assert inc.timeline[-1].detail == ("stakeholder update due for major incident (in_progress): post one for"
                                       " the status page, incidentctl update INC-1042 --public TEXT")  # fmt: skip
    actions.public_update(inc, "bob", T0 + 50 * MIN, "We are restoring card payments")
    timer = next_timer(inc, T0 + 50 * MIN)
    assert timer is not None and (timer.kind, timer.at) == (TimerKind.STAKEHOLDER_UPDATE, T0 + 70 * MIN)
    assert inc.timeline[-1].notify == ["stakeholders"]


def test_a_major_incident_on_hold_still_reminds_stakeholders() -> None:
    inc = incident(Priority.P1, acknowledged=True)
    actions.hold(inc, "bob", T0 + 10 * MIN, HoldReason.SUPPLIER, "PSP")
    assert next_timer(inc, T0 + 10 * MIN) == DueTimer(kind=TimerKind.STAKEHOLDER_UPDATE, at=T0 + 30 * MIN)


@pytest.mark.parametrize("priority", [Priority.P2, Priority.P3, Priority.P4, Priority.P5])
def test_an_incident_that_is_not_major_never_reminds_stakeholders(priority: Priority) -> None:
    assert TimerKind.STAKEHOLDER_UPDATE not in [kind for kind, _ in walk(incident(priority))]


def test_an_incident_on_hold_waits_without_deadlines() -> None:
    inc = incident(Priority.P3, acknowledged=True)
    actions.hold(inc, "bob", T0 + H, HoldReason.CALLER, "no answer")
    assert next_timer(inc, T0 + 30 * H) is None


def test_a_hold_pushes_the_restore_timers_back() -> None:
    inc = incident(Priority.P2, acknowledged=True)
    actions.hold(inc, "bob", T0 + H, HoldReason.CALLER, "no answer")
    actions.resume(inc, "bob", T0 + 3 * H)
    assert walk(inc) == [(TimerKind.RESTORE_WARNING, T0 + 8 * H), (TimerKind.RESTORE_BREACH, T0 + 10 * H)]


def test_a_late_raise_to_p1_fires_the_overdue_warning_and_breach_at_once() -> None:
    inc = incident(Priority.P3, acknowledged=True)
    actions.change_priority(inc, "bob", T0 + 5 * H, 1, 1, "everyone affected")
    kinds = [kind for kind, _ in walk(inc)]
    assert kinds.index(TimerKind.RESTORE_WARNING) < kinds.index(TimerKind.RESTORE_BREACH)
    assert next_timer(inc, T0 + 5 * H) == DueTimer(kind=TimerKind.STAKEHOLDER_UPDATE, at=T0 + 5 * H + 30 * MIN)


@pytest.mark.parametrize("window", [timedelta(days=3), timedelta(days=5)])
def test_a_resolved_incident_closes_itself_when_the_confirmation_window_passes(window: timedelta) -> None:
    inc = incident(Priority.P3, acknowledged=True, agreed=agreement(confirmation_window=window))
    actions.resolve(inc, "bob", T0 + 2 * H, "rolled back", None)
    timer = next_timer(inc, T0 + 2 * H)
    assert timer == DueTimer(kind=TimerKind.CONFIRMATION_WINDOW, at=T0 + 2 * H + window)
    fire(inc, timer.kind, timer.at)
    assert (inc.state, inc.outcome, inc.closed_at) == (State.CLOSED, Outcome.RESOLVED, T0 + 2 * H + window)
    assert (inc.timeline[-1].action, inc.timeline[-1].actor) == (Action.AUTO_CLOSE, "system")
    assert next_timer(inc, timer.at) is None


def test_an_alert_incident_closes_after_a_quiet_window_with_no_firing_alert() -> None:
    inc = incident(Priority.P2, source=Source.ALERTMANAGER, agreed=agreement(quiet_window=45 * MIN))
    apply_alerts(inc, [AlertEvent(key="fp1", status="firing", at=T0)], "alertmanager")
    apply_alerts(inc, [AlertEvent(key="fp1", status="resolved", at=T0 + 20 * MIN)], "alertmanager")
    timer = next_timer(inc, T0 + 20 * MIN)
    assert timer == DueTimer(kind=TimerKind.QUIET_WINDOW, at=T0 + 65 * MIN)
    fire(inc, timer.kind, timer.at)
    assert (inc.state, inc.outcome, inc.timeline[-1].action) == (State.CLOSED, Outcome.RESOLVED, Action.QUIET_CLOSE)


def test_an_alert_incident_restored_by_hand_while_an_alert_still_fires_waits_for_the_alert() -> None:
    inc = incident(Priority.P2, acknowledged=True, source=Source.EVENTS_API)
    apply_alerts(inc, [AlertEvent(key="dedup-1", status="firing", at=T0)], "events_api")
    actions.apply_workaround(inc, "bob", T0 + H, "failover")
    assert next_timer(inc, T0 + H) is None


def test_an_engineer_incident_restored_has_no_quiet_window() -> None:
    inc = incident(Priority.P3, acknowledged=True)
    actions.apply_workaround(inc, "bob", T0 + H, "restart")
    assert next_timer(inc, T0 + H) is None


def test_a_closed_or_unprioritized_incident_has_no_timer() -> None:
    inc = incident(Priority.P1)
    actions.close(inc, "bob", T0 + MIN, Action.CANCEL, Outcome.CANCELLED, "test alert")
    assert next_timer(inc, T0 + MIN) is None
    fresh = Incident(workflow_id="w", service="checkout", summary="5xx", source=Source.ENGINEER, logged_at=T0,
                     agreement=agreement())  # fmt: skip
    assert next_timer(fresh, T0) is None


def test_a_timer_summary_names_the_incident_the_kind_and_the_time() -> None:
    timer = DueTimer(kind=TimerKind.RESTORE_BREACH, at=T0 + timedelta(hours=4, microseconds=5))
    assert timer.summary(incident()) == "INC-1042 restore target at 2024-03-04T13:00:00+00:00"


@settings(max_examples=100, deadline=None)
@given(
    priority=st.sampled_from(list(Priority)),
    acknowledged=st.booleans(),
    ratio=st.floats(min_value=0.05, max_value=0.95),
    interval_minutes=st.integers(min_value=5, max_value=120),
)
def test_timers_never_go_back_in_time_and_the_breach_comes_at_the_restore_target(
    priority: Priority, acknowledged: bool, ratio: float, interval_minutes: int
) -> None:
    agreed = agreement(warning_ratio=ratio, major_update_interval=timedelta(minutes=interval_minutes))
    fired = walk(incident(priority, acknowledged=acknowledged, agreed=agreed), limit=500)
    times = [at for _, at in fired]
    assert times == sorted(times)
    assert fired[-1] == (TimerKind.RESTORE_BREACH, T0 + RESTORE[priority])
    assert [k for k, _ in fired].count(TimerKind.RESTORE_WARNING) == 1
    assert (TimerKind.RESPONSE in [k for k, _ in fired]) is not acknowledged
