"""The incident object of the external contract (`incidentctl -o json`, DESIGN section 5)."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import acknowledgement, actions
from domain.catalog import DEFAULT_TARGETS, Category, ServiceAgreement, Targets
from domain.enums import Action, HoldReason, Outcome, Source
from domain.incident import Incident
from domain.process import categorize, prioritize, register
from domain.timers import TimerKind, fire
from domain.view import incident_view

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
H, MIN = timedelta(hours=1), timedelta(minutes=1)
CONTRACT_KEYS = {"number", "workflow_id", "state", "outcome", "priority", "impact", "urgency", "service", "category",
                 "group", "assignee", "summary", "source", "major", "logged_at", "sla"}  # fmt: skip
SLA_KEYS = {"response_due", "restore_due", "breached"}
HISTORY_KEYS = {"at", "actor", "action", "from", "to", "detail"}


def incident(logged_at: datetime = T0, *, impact: int = 2, urgency: int = 2, prioritized: bool = True) -> Incident:
    agreed = ServiceAgreement(
        name="checkout", owner_group="checkout-oncall", service_manager="maria.lind",
        support_lines=["service-desk", "checkout-oncall"],
        targets={p: Targets(response=r, restore=s) for p, (r, s) in DEFAULT_TARGETS.items()},
        categories=[Category(name="availability", group="checkout-oncall", runbook="rb/5xx")], severity={},
    )  # fmt: skip
    new = Incident(workflow_id="incident-checkout-1", service="checkout", summary="5xx above 5%", caller="ana",
                   source=Source.ENGINEER, impact=impact, urgency=urgency, logged_at=logged_at)  # fmt: skip
    register(new, number="INC-1042", agreement=agreed, previous_number=None, at=logged_at)
    categorize(new, agreed.categories[0], logged_at)
    if prioritized:
        prioritize(new, logged_at)
    return new


def is_iso_with_zone(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parsed = datetime.fromisoformat(value)
    return parsed.tzinfo is not None and parsed.utcoffset() is not None


def test_the_view_has_every_key_of_the_contract() -> None:
    view = incident_view(incident(), T0 + MIN)
    assert CONTRACT_KEYS <= set(view)
    assert SLA_KEYS <= set(view["sla"])
    assert "history" not in view


def test_the_view_shows_the_incident_as_it_is() -> None:
    inc = incident()
    acknowledgement.take(inc, "bob", T0 + 5 * MIN)
    view = incident_view(inc, T0 + 10 * MIN)
    assert {k: view[k] for k in CONTRACT_KEYS - {"sla", "logged_at"}} == {
        "number": "INC-1042", "workflow_id": "incident-checkout-1", "state": "in_progress", "outcome": None,
        "priority": "P3", "impact": 2, "urgency": 2, "service": "checkout", "category": "availability",
        "group": "checkout-oncall", "assignee": "bob", "summary": "5xx above 5%", "source": "engineer", "major": False,
    }  # fmt: skip
    assert view["sla"]["response_due"] == (T0 + 2 * H).isoformat()
    assert view["sla"]["restore_due"] == (T0 + 24 * H).isoformat()
    sla = view["sla"]
    assert (sla["breached"], sla["restore_paused"], sla["restore_left"]) == (False, False, "23h50m")
    assert (view["caller"], view["runbook"]) == ("ana", "rb/5xx")


def test_the_view_is_plain_json() -> None:
    inc = incident(impact=1, urgency=1)
    view = incident_view(inc, T0 + MIN, history=True)
    assert json.loads(json.dumps(view)) == view
    assert (view["priority"], view["major"]) == ("P1", True)


def test_a_view_with_history_lists_every_timeline_entry_in_order() -> None:
    inc = incident()
    acknowledgement.take(inc, "bob", T0 + 5 * MIN)
    actions.hold(inc, "bob", T0 + 10 * MIN, HoldReason.CALLER, "no answer")
    history = incident_view(inc, T0 + 20 * MIN, history=True)["history"]
    assert all(set(entry) == HISTORY_KEYS for entry in history)
    assert [e["action"] for e in history] == ["register", "categorize", "prioritize", "ack", "hold"]
    assert history[-1] == {
        "at": (T0 + 10 * MIN).isoformat(), "actor": "bob", "action": "hold", "from": "in_progress", "to": "on_hold",
        "detail": "waiting for caller: no answer; restore clock paused",
    }  # fmt: skip
    assert history[0]["from"] == "logged" and history[0]["to"] == "logged"


ZONES = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]


@pytest.mark.parametrize("zone", ZONES)
def test_every_time_in_the_view_is_iso_8601_with_a_time_zone(zone: timezone) -> None:
    inc = incident(T0.astimezone(zone))
    acknowledgement.take(inc, "bob", T0 + 5 * MIN)
    actions.apply_workaround(inc, "bob", T0 + H, "failover")
    actions.resolve(inc, "bob", T0 + 2 * H, "pool resized", None)
    actions.close(inc, "ana", T0 + 3 * H, Action.CONFIRM, Outcome.RESOLVED, "confirmed")
    view = incident_view(inc, T0 + 3 * H, history=True)
    times = [view[k] for k in ("logged_at", "acknowledged_at", "restored_at", "resolved_at", "closed_at")]
    times += [view["sla"]["response_due"], view["sla"]["restore_due"]] + [e["at"] for e in view["history"]]
    assert all(is_iso_with_zone(t) for t in times), times
    assert datetime.fromisoformat(view["logged_at"]) == T0


@settings(max_examples=100, deadline=None)
@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                 timezones=st.sampled_from(ZONES)),
)  # fmt: skip
def test_the_logged_time_reads_back_as_the_same_instant(logged_at: datetime) -> None:
    view = incident_view(incident(logged_at), logged_at)
    assert is_iso_with_zone(view["logged_at"])
    assert datetime.fromisoformat(view["logged_at"]) == logged_at


def test_an_incident_not_yet_prioritized_has_no_deadlines() -> None:
    view = incident_view(incident(prioritized=False), T0)
    assert (view["state"], view["priority"], view["group"]) == ("categorized", None, "checkout-oncall")
    assert {k: view["sla"][k] for k in SLA_KEYS} == {"response_due": None, "restore_due": None, "breached": False}
    assert view["sla"]["restore_left"] is None


def test_a_breached_incident_says_so_and_shows_the_time_overdue() -> None:
    inc = incident()
    fire(inc, TimerKind.RESTORE_BREACH, T0 + 24 * H)
    sla = incident_view(inc, T0 + 25 * H)["sla"]
    assert (sla["breached"], sla["restore_left"]) == (True, "-1h00m")


def test_a_hold_shows_the_paused_clock_and_the_moving_deadline() -> None:
    inc = incident()
    acknowledgement.take(inc, "bob", T0)
    actions.hold(inc, "bob", T0 + H, HoldReason.SUPPLIER, "PSP")
    sla = incident_view(inc, T0 + 3 * H)["sla"]
    assert (sla["restore_paused"], sla["restore_due"]) == (True, (T0 + 26 * H).isoformat())


def test_a_restored_incident_shows_no_time_left() -> None:
    inc = incident()
    acknowledgement.take(inc, "bob", T0)
    actions.apply_workaround(inc, "bob", T0 + H, "failover")
    view = incident_view(inc, T0 + 2 * H)
    assert (view["state"], view["sla"]["restore_left"], view["workaround"]) == ("restored", None, "failover")


def test_a_closed_incident_shows_its_outcome() -> None:
    inc = incident()
    actions.close(inc, "ana", T0 + H, Action.CANCEL, Outcome.CANCELLED, "raised by mistake")
    view = incident_view(inc, T0 + H)
    assert (view["state"], view["outcome"], view["closed_at"]) == ("closed", "cancelled", (T0 + H).isoformat())
    assert view["sla"]["restore_left"] is None
