"""What engineers do to an incident: each action moves it and writes one timeline entry."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import acknowledgement, actions
from domain.catalog import DEFAULT_TARGETS, Category, ServiceAgreement, Targets
from domain.enums import Action, HoldReason, Outcome, Priority, Source, State
from domain.incident import Incident
from domain.lifecycle import ENGINEER_RULES, refusal
from domain.process import categorize, prioritize, register

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
PAUSED_STATES = {State.ON_HOLD, State.RESTORED, State.RESOLVED, State.CLOSED}


def agreement() -> ServiceAgreement:
    return ServiceAgreement(
        name="checkout", owner_group="checkout-oncall", service_manager="maria.lind",
        support_lines=["service-desk", "checkout-oncall"],
        targets={p: Targets(response=r, restore=s) for p, (r, s) in DEFAULT_TARGETS.items()},
        categories=[Category(name="availability", group="service-desk", runbook="rb/5xx", keywords=["5xx"]),
                    Category(name="performance", group="checkout-oncall", runbook="rb/slow", keywords=["slow"])],
        severity={},
    )  # fmt: skip


def incident(impact: int = 2, urgency: int = 2, *, acknowledged: bool = True) -> Incident:
    """Registered, categorized (availability -> service-desk) and prioritized at T0; acked at T0+5m."""
    agreed = agreement()
    new = Incident(workflow_id="incident-checkout-1", service="checkout", summary="5xx above 5%", caller="ana",
                   source=Source.ENGINEER, impact=impact, urgency=urgency, logged_at=T0)  # fmt: skip
    register(new, number="INC-1042", agreement=agreed, previous_number=None, at=T0)
    categorize(new, agreed.categories[0], T0)
    prioritize(new, T0)
    if acknowledged:
        acknowledgement.take(new, "bob", T0 + 5 * MIN)
    return new


def last(incident: Incident) -> tuple[str, Action, State | None, State, str]:
    e = incident.timeline[-1]
    return e.actor, e.action, e.from_state, e.to_state, e.detail


def test_acknowledging_starts_diagnosis_and_takes_the_incident_on() -> None:
    inc = incident(acknowledged=False)
    acknowledgement.take(inc, "bob", T0 + 7 * MIN)
    assert (inc.state, inc.acknowledged_at, inc.assignee) == (State.IN_PROGRESS, T0 + 7 * MIN, "bob")
    assert last(inc) == ("bob", Action.ACK, State.PRIORITIZED, State.IN_PROGRESS,
                         "acknowledged by bob; diagnosis under way")  # fmt: skip


def test_assigning_a_prioritized_incident_meets_the_response_target() -> None:
    inc = incident(acknowledged=False)
    actions.assign(inc, "lead", T0 + 3 * MIN, "checkout-oncall", "carl")
    assert (inc.state, inc.acknowledged_at) == (State.IN_PROGRESS, T0 + 3 * MIN)
    assert (inc.group, inc.assignee) == ("checkout-oncall", "carl")
    assert last(inc) == ("lead", Action.ASSIGN, State.PRIORITIZED, State.IN_PROGRESS,
                         "assigned to checkout-oncall/carl")  # fmt: skip
    assert inc.timeline[-1].notify == ["group:checkout-oncall"]


def test_assigning_on_hold_keeps_the_state_and_the_first_acknowledgement() -> None:
    inc = incident()
    actions.hold(inc, "bob", T0 + 10 * MIN, HoldReason.CALLER, "no answer")
    actions.assign(inc, "lead", T0 + 20 * MIN, "checkout-oncall", "")
    assert (inc.state, inc.acknowledged_at, inc.assignee) == (State.ON_HOLD, T0 + 5 * MIN, "")
    assert last(inc)[2:] == (State.ON_HOLD, State.ON_HOLD, "assigned to checkout-oncall")


def test_a_functional_escalation_hands_the_incident_to_the_other_group() -> None:
    inc = incident()
    actions.escalate(inc, "bob", T0 + 9 * MIN, "checkout-oncall", "needs code access")
    assert (inc.group, inc.state) == ("checkout-oncall", State.IN_PROGRESS)
    assert last(inc) == ("bob", Action.ESCALATE, State.IN_PROGRESS, State.IN_PROGRESS,
                         "functional escalation to checkout-oncall: needs code access")  # fmt: skip
    assert inc.timeline[-1].notify == ["group:checkout-oncall"]


def test_a_hierarchical_escalation_tells_the_service_manager_and_keeps_the_group() -> None:
    inc = incident()
    actions.escalate(inc, "bob", T0 + 9 * MIN, None, "customer threatens to leave")
    assert inc.group == "service-desk"
    assert last(inc)[4] == "hierarchical escalation to management: customer threatens to leave"
    assert inc.timeline[-1].notify == ["manager:maria.lind"]


def test_escalating_to_the_group_that_already_has_it_is_refused() -> None:
    inc = incident()
    assert actions.escalation_refusal(inc, "service-desk") == "INC-1042 is already with service-desk"
    assert actions.escalation_refusal(inc, "checkout-oncall") is None
    assert actions.escalation_refusal(inc, None) is None


def test_a_note_keeps_the_state_and_records_the_text() -> None:
    inc = incident()
    actions.note(inc, "bob", T0 + MIN, "customer sent a HAR file")
    assert last(inc) == ("bob", Action.NOTE, State.IN_PROGRESS, State.IN_PROGRESS, "customer sent a HAR file")


def test_a_diagnosis_with_another_category_recategorizes_and_says_so() -> None:
    inc = incident()
    actions.diagnose(inc, "bob", T0 + MIN, "db pool exhausted", agreement().categories[1])
    assert (inc.category, inc.runbook) == ("performance", "rb/slow")
    assert last(inc)[4] == "db pool exhausted (recategorized availability -> performance)"


@pytest.mark.parametrize("category", [None, Category(name="availability", group="service-desk", runbook="rb/5xx")])
def test_a_diagnosis_in_the_same_category_only_records_the_finding(category: Category | None) -> None:
    inc = incident()
    actions.diagnose(inc, "bob", T0 + MIN, "db pool exhausted", category)
    assert inc.category == "availability"
    assert last(inc) == ("bob", Action.DIAGNOSE, State.IN_PROGRESS, State.IN_PROGRESS, "db pool exhausted")


def test_a_priority_change_to_the_same_impact_and_urgency_is_refused() -> None:
    inc = incident(2, 2)
    assert actions.priority_refusal(inc, 2, 2) == "INC-1042 already has impact 2 and urgency 2 (P3)"
    assert actions.priority_refusal(inc, 2, 3) is None
    assert actions.priority_refusal(inc, 1, 2) is None


def test_a_priority_change_recomputes_the_priority_from_the_matrix() -> None:
    inc = incident(2, 2)
    actions.change_priority(inc, "bob", T0 + MIN, 1, 2, "all regions")
    assert (inc.impact, inc.urgency, inc.priority, inc.major) == (1, 2, Priority.P2, False)
    assert last(inc) == ("bob", Action.CHANGE_PRIORITY, State.IN_PROGRESS, State.IN_PROGRESS,
                         "P3 -> P2 (impact 1, urgency 2): all regions")  # fmt: skip
    assert inc.timeline[-1].notify == ["group:service-desk"]


def test_a_priority_change_to_p1_declares_a_major_incident() -> None:
    inc = incident(2, 2)
    actions.change_priority(inc, "bob", T0 + 30 * MIN, 1, 1, "all customers")
    assert (inc.priority, inc.major, inc.last_stakeholder_update) == (Priority.P1, True, T0 + 30 * MIN)
    change, major = inc.timeline[-2:]
    assert (change.action, major.action, major.actor) == (Action.CHANGE_PRIORITY, Action.MAJOR_ESCALATION, "bob")
    assert major.notify == ["manager:maria.lind", "stakeholders"]


def test_a_priority_change_away_from_p1_ends_the_major_incident() -> None:
    inc = incident(1, 1)
    assert inc.major
    actions.change_priority(inc, "bob", T0 + 30 * MIN, 1, 2, "one region only")
    assert (inc.priority, inc.major) == (Priority.P2, False)
    assert [e.action for e in inc.timeline].count(Action.MAJOR_ESCALATION) == 1


def test_a_lower_priority_takes_back_a_restore_warning_that_is_not_due_any_more() -> None:
    inc = incident(1, 1)  # P1: warning at 3h
    inc.restore_warned = True
    actions.change_priority(inc, "bob", T0 + timedelta(hours=3, minutes=5), 3, 3, "one user")  # P5: warning at 5.25d
    assert inc.restore_warned is False


def test_a_higher_priority_keeps_a_restore_warning_already_given() -> None:
    inc = incident(3, 3)
    inc.restore_warned = True
    actions.change_priority(inc, "bob", T0 + timedelta(hours=10), 1, 1, "everyone")
    assert inc.restore_warned is True


def test_a_hold_pauses_the_restore_clock() -> None:
    inc = incident()
    actions.hold(inc, "bob", T0 + 40 * MIN, HoldReason.SUPPLIER, "PSP ticket 881")
    assert (inc.state, inc.paused_since) == (State.ON_HOLD, T0 + 40 * MIN)
    assert last(inc) == ("bob", Action.HOLD, State.IN_PROGRESS, State.ON_HOLD,
                         "waiting for supplier: PSP ticket 881; restore clock paused")  # fmt: skip


def test_a_resume_runs_the_restore_clock_again_and_counts_the_time_held() -> None:
    inc = incident()
    actions.hold(inc, "bob", T0 + 40 * MIN, HoldReason.CALLER, "no answer")
    actions.resume(inc, "bob", T0 + 100 * MIN)
    assert (inc.state, inc.paused_since, inc.paused_seconds) == (State.IN_PROGRESS, None, 3600.0)
    assert last(inc) == ("bob", Action.RESUME, State.ON_HOLD, State.IN_PROGRESS, "restore clock running again")


def test_a_workaround_restores_the_service_and_stops_the_restore_clock() -> None:
    inc = incident()
    actions.apply_workaround(inc, "bob", T0 + 50 * MIN, "failed over to eu-west")
    assert (inc.state, inc.restored_at, inc.paused_since) == (State.RESTORED, T0 + 50 * MIN, T0 + 50 * MIN)
    assert inc.workaround == "failed over to eu-west"
    assert last(inc) == ("bob", Action.WORKAROUND, State.IN_PROGRESS, State.RESTORED,
                         "service restored by workaround: failed over to eu-west")  # fmt: skip
    assert "stakeholders" in inc.timeline[-1].notify


@pytest.mark.parametrize(("impact", "urgency", "problem", "refused"),
                         [(1, 1, None, True), (1, 1, "", True), (1, 1, "PRB-7", False),
                          (2, 2, None, False), (1, 2, None, False)])  # fmt: skip
def test_resolving_a_major_incident_needs_a_problem_record(
    impact: int, urgency: int, problem: str | None, refused: bool
) -> None:
    reason = actions.resolve_refusal(incident(impact, urgency), problem)
    if refused:
        assert reason == "INC-1042 is a major incident (P1): resolve needs --problem PRB-..."
    else:
        assert reason is None


def test_resolving_after_a_workaround_keeps_the_time_of_restore() -> None:
    inc = incident()
    actions.apply_workaround(inc, "bob", T0 + 50 * MIN, "failover")
    actions.resolve(inc, "bob", T0 + 90 * MIN, "pool resized", "PRB-7")
    assert (inc.state, inc.restored_at, inc.resolved_at) == (State.RESOLVED, T0 + 50 * MIN, T0 + 90 * MIN)
    assert (inc.resolution, inc.problem, inc.paused_since) == ("pool resized", "PRB-7", T0 + 50 * MIN)
    assert last(inc) == ("bob", Action.RESOLVE, State.RESTORED, State.RESOLVED,
                         "resolved: pool resized (problem PRB-7)")  # fmt: skip


def test_resolving_without_a_workaround_restores_at_the_same_time() -> None:
    inc = incident()
    actions.resolve(inc, "bob", T0 + 90 * MIN, "config rolled back", None)
    assert (inc.restored_at, inc.resolved_at, inc.paused_since) == (T0 + 90 * MIN,) * 3
    assert last(inc)[4] == "resolved: config rolled back"


@pytest.mark.parametrize(("action", "outcome"),
                         [(Action.CONFIRM, Outcome.RESOLVED), (Action.CANCEL, Outcome.CANCELLED)])  # fmt: skip
def test_closing_sets_the_outcome_and_the_closing_time(action: Action, outcome: Outcome) -> None:
    inc = incident()
    actions.close(inc, "ana", T0 + 2 * 60 * MIN, action, outcome, "done")
    assert (inc.state, inc.outcome, inc.closed_at) == (State.CLOSED, outcome, T0 + 120 * MIN)
    assert last(inc) == ("ana", action, State.IN_PROGRESS, State.CLOSED, "done")
    assert inc.paused_since is not None


def test_a_reopen_returns_to_work_and_runs_the_restore_clock_from_where_it_stopped() -> None:
    inc = incident()
    actions.resolve(inc, "bob", T0 + 60 * MIN, "rolled back", None)
    actions.reopen(inc, "ana", T0 + 180 * MIN, "still failing")
    assert (inc.state, inc.restored_at, inc.resolved_at) == (State.IN_PROGRESS, None, None)
    assert (inc.paused_since, inc.paused_seconds) == (None, 7200.0)
    assert last(inc) == ("ana", Action.REOPEN, State.RESOLVED, State.IN_PROGRESS, "reopened: still failing")


def perform(inc: Incident, action: Action, at: datetime) -> None:
    """One engineer action with arguments that pass the action's own extra checks."""
    calls = {
        Action.ACK: lambda: acknowledgement.take(inc, "bob", at),
        Action.ASSIGN: lambda: actions.assign(inc, "bob", at, "checkout-oncall", "carl"),
        Action.ESCALATE: lambda: actions.escalate(inc, "bob", at, None, "decision needed"),
        Action.NOTE: lambda: actions.note(inc, "bob", at, "still looking"),
        Action.PUBLIC_UPDATE: lambda: actions.public_update(inc, "bob", at, "We are restoring card payments"),
        Action.DIAGNOSE: lambda: actions.diagnose(inc, "bob", at, "found it", None),
        Action.CHANGE_PRIORITY: lambda: actions.change_priority(inc, "bob", at, inc.impact % 3 + 1, inc.urgency, "why"),
        Action.HOLD: lambda: actions.hold(inc, "bob", at, HoldReason.CALLER, "waiting"),
        Action.RESUME: lambda: actions.resume(inc, "bob", at),
        Action.WORKAROUND: lambda: actions.apply_workaround(inc, "bob", at, "restart"),
        Action.RESOLVE: lambda: actions.resolve(inc, "bob", at, "fixed", "PRB-1"),
        Action.CONFIRM: lambda: actions.close(inc, "bob", at, Action.CONFIRM, Outcome.RESOLVED, "confirmed"),
        Action.REOPEN: lambda: actions.reopen(inc, "bob", at, "again"),
        Action.CANCEL: lambda: actions.close(inc, "bob", at, Action.CANCEL, Outcome.CANCELLED, "by mistake"),
    }
    calls[action]()


@settings(max_examples=150, deadline=None)
@given(st.data(), st.integers(min_value=1, max_value=3), st.integers(min_value=1, max_value=3))
def test_every_allowed_action_moves_where_the_rules_say_and_writes_it_down(
    data: st.DataObject, impact: int, urgency: int
) -> None:
    inc = incident(impact, urgency, acknowledged=False)
    at = T0
    for _ in range(data.draw(st.integers(min_value=1, max_value=25))):
        allowed = [a for a in ENGINEER_RULES if refusal(inc, a) is None]
        if not allowed:
            break
        action = data.draw(st.sampled_from(allowed))
        at += timedelta(minutes=data.draw(st.integers(min_value=0, max_value=600)))
        before, entries = inc.state, len(inc.timeline)
        perform(inc, action, at)
        target = ENGINEER_RULES[action][1]
        taken_on = action is Action.ASSIGN and before is State.PRIORITIZED
        expected = target or (State.IN_PROGRESS if taken_on else before)
        entry = inc.timeline[entries]
        assert inc.state is expected
        assert (entry.action, entry.actor, entry.at) == (action, "bob", at)
        assert (entry.from_state, entry.to_state) == (before, expected)
        assert len(inc.timeline) == entries + (2 if inc.timeline[-1].action is Action.MAJOR_ESCALATION else 1)
        paused = inc.paused_since is not None
        assert paused == (inc.state in PAUSED_STATES), "the restore clock runs only while working"
        assert inc.major == (inc.priority is Priority.P1)
