"""The acknowledgement rule, over every state x paging or not x the three ways an acknowledgement comes
(incidentctl ack, a page's link, an alert source's acknowledge): what it does, and what a person is told."""

from datetime import UTC, datetime, timedelta

import pytest

from domain import acknowledgement, commands
from domain.acknowledgement import Effect, Via
from domain.alerts import AlertEvent, apply_alerts, settle_alerts
from domain.enums import Action, Source, State
from domain.incident import Incident
from domain.paging import DEFAULT_POLICY, begin

T0 = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=3)
S, E = State, Effect
TAKE, STOP, REMEMBER, NONE = E.TAKE, E.STOP_PAGING, E.REMEMBER, E.NONE

# Written from the README and DESIGN independently of the code: state -> (without paging, while paging)
# for each way. Prioritized waits for someone to take it on; paging in work (escalated, reassigned)
# stops; an alert source's acknowledge before prioritization waits for it; nothing else acknowledges.
EXPECTED: dict[Via, dict[State, tuple[Effect, Effect]]] = {
    Via.ENGINEER: {S.LOGGED: (NONE, STOP), S.CATEGORIZED: (NONE, STOP), S.PRIORITIZED: (TAKE, TAKE),
                   S.IN_PROGRESS: (NONE, STOP), S.ON_HOLD: (NONE, STOP), S.RESTORED: (NONE, STOP),
                   S.RESOLVED: (NONE, STOP), S.CLOSED: (NONE, STOP)},
    Via.LINK: {S.LOGGED: (NONE, STOP), S.CATEGORIZED: (NONE, STOP), S.PRIORITIZED: (TAKE, TAKE),
               S.IN_PROGRESS: (NONE, STOP), S.ON_HOLD: (NONE, STOP), S.RESTORED: (NONE, STOP),
               S.RESOLVED: (NONE, STOP), S.CLOSED: (NONE, STOP)},
    Via.INTEGRATION: {S.LOGGED: (REMEMBER, REMEMBER), S.CATEGORIZED: (REMEMBER, REMEMBER),
                      S.PRIORITIZED: (TAKE, TAKE), S.IN_PROGRESS: (NONE, STOP), S.ON_HOLD: (NONE, STOP),
                      S.RESTORED: (NONE, NONE), S.RESOLVED: (NONE, NONE), S.CLOSED: (NONE, NONE)},
}  # fmt: skip
CELLS = [(via, state, paging) for via in Via for state in State for paging in (False, True)]


def cell_id(cell: tuple[Via, State, bool]) -> str:
    via, state, paging = cell
    return f"{via}-{state}-{'paging' if paging else 'quiet'}"


def incident_in(state: State, paging: bool, assignee: str = "") -> Incident:
    incident = Incident(workflow_id="wf-7", number="INC-7", service="checkout", summary="5xx at the till",
                        source=Source.ALERTMANAGER, state=state, logged_at=T0, assignee=assignee)  # fmt: skip
    if paging:
        incident.pagings = [begin(DEFAULT_POLICY, "checkout-oncall", "escalated to checkout-oncall", T0)]
    return incident


def test_the_table_covers_every_way_and_every_state():
    assert set(EXPECTED) == set(Via)
    assert all(set(row) == set(State) for row in EXPECTED.values())


@pytest.mark.parametrize("cell", CELLS, ids=cell_id)
def test_an_acknowledgement_does_what_the_table_says(cell: tuple[Via, State, bool]):
    via, state, paging = cell
    assert acknowledgement.effect(incident_in(state, paging), via) is EXPECTED[via][state][paging]


@pytest.mark.parametrize("cell", CELLS, ids=cell_id)
def test_a_person_is_refused_exactly_when_there_is_nothing_to_acknowledge_and_an_integration_never(
    cell: tuple[Via, State, bool],
):
    via, state, paging = cell
    refused = acknowledgement.refusal(incident_in(state, paging), via) is not None
    assert refused == (via is not Via.INTEGRATION and EXPECTED[via][state][paging] is NONE)


@pytest.mark.parametrize("cell", CELLS, ids=cell_id)
def test_applying_an_acknowledgement_changes_the_incident_as_its_effect_says(cell: tuple[Via, State, bool]):
    via, state, paging = cell
    incident = incident_in(state, paging)
    before = incident.model_copy(deep=True)
    happened = acknowledgement.acknowledge(incident, "dana", LATER, via, page=4)
    assert happened is EXPECTED[via][state][paging]
    if happened is TAKE:
        entry = incident.timeline[-1]
        assert (entry.action, entry.from_state, entry.to_state) == (Action.ACK, State.PRIORITIZED, State.IN_PROGRESS)
        assert entry.detail == "acknowledged by dana; diagnosis under way"
        assert incident.acknowledged_at == LATER
        # a person takes it on; an alert source is recorded but assigns nobody
        assert incident.assignee == ("" if via is Via.INTEGRATION else "dana")
    elif happened is STOP:
        entry = incident.timeline[-1]
        assert (entry.action, entry.from_state, entry.to_state) == (Action.PAGE_ACK, state, state)
        which = " 4" if via is Via.LINK else ""  # only a link knows which page it answers
        assert entry.detail == f"page{which} acknowledged by dana: paging stopped"
        assert incident.acknowledged_at is None and incident.assignee == ""
    elif happened is REMEMBER:
        assert incident.early_ack == "dana" and incident.timeline == [] and incident.state is state
    else:
        assert incident == before


def test_the_refusals_name_the_state_in_each_ways_own_words():
    assert acknowledgement.refusal(incident_in(S.RESOLVED, False), Via.ENGINEER) == (
        "INC-7 is resolved: ack needs prioritized"
    )
    assert acknowledgement.refusal(incident_in(S.IN_PROGRESS, False, assignee="dana"), Via.LINK) == (
        "INC-7 is in_progress, acknowledged by dana: nothing to acknowledge"
    )
    assert acknowledgement.refusal(incident_in(S.CLOSED, False), Via.LINK) == "INC-7 is closed: nothing to acknowledge"


@pytest.mark.parametrize("cell", CELLS[: len(State) * 2], ids=cell_id)
def test_incidentctl_ack_is_checked_and_applied_by_the_acknowledgement_rule(cell: tuple[Via, State, bool]):
    _, state, paging = cell
    incident, ack = incident_in(state, paging), commands.Ack(actor="dana")
    assert ack.state_refusal(incident, Action.ACK) == acknowledgement.refusal(incident, Via.ENGINEER)
    if ack.state_refusal(incident, Action.ACK) is None:
        ack.apply(incident, LATER)
        assert incident.timeline[-1].action in (Action.ACK, Action.PAGE_ACK)


def alert(status: str, minutes: int) -> AlertEvent:
    return AlertEvent(key="fp1", status=status, at=T0 + timedelta(minutes=minutes))  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", CELLS[-len(State) * 2 :], ids=cell_id)
def test_an_alert_sources_acknowledge_goes_by_the_integration_column(cell: tuple[Via, State, bool]):
    _, state, paging = cell
    incident = incident_in(state, paging)
    apply_alerts(incident, [alert("acknowledged", 1)], "events_api")
    expected = EXPECTED[Via.INTEGRATION][state][paging]
    assert [e.action for e in incident.timeline] == {TAKE: [Action.ACK], STOP: [Action.PAGE_ACK]}.get(expected, [])
    assert incident.early_ack == ("events_api" if expected is REMEMBER else None)


def test_an_acknowledge_before_prioritization_takes_the_incident_once_prioritized_without_assigning_it():
    incident = incident_in(S.CATEGORIZED, False)
    apply_alerts(incident, [alert("firing", 1), alert("acknowledged", 2)], "events_api")
    assert incident.state is S.CATEGORIZED and incident.early_ack == "events_api"
    assert Action.ACK not in [e.action for e in incident.timeline]
    incident.state = S.PRIORITIZED
    settle_alerts(incident, LATER, "system")
    entry = incident.timeline[-1]
    assert (entry.actor, entry.action, entry.to_state) == ("events_api", Action.ACK, S.IN_PROGRESS)
    assert incident.acknowledged_at == LATER and incident.assignee == ""


def test_settling_takes_nothing_on_when_no_acknowledge_came_early():
    incident = incident_in(S.PRIORITIZED, False)
    settle_alerts(incident, LATER, "system")
    assert incident.state is S.PRIORITIZED and incident.timeline == []
