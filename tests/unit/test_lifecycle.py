"""Which engineer action may happen in which state, and how a transition is written down."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.enums import OPEN_STATES, Action, Source, State
from domain.incident import Incident
from domain.lifecycle import (
    ENGINEER_RULES,
    allowed_states,
    pause_restore_clock,
    record,
    refusal,
    resume_restore_clock,
)

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
S = State
ALL = frozenset(State)

# Written from DESIGN section 3 independently of the code: action -> (allowed in, leads to).
EXPECTED_RULES: dict[Action, tuple[frozenset[State], State | None]] = {
    Action.ACK: (frozenset({S.PRIORITIZED}), S.IN_PROGRESS),
    Action.ASSIGN: (frozenset({S.PRIORITIZED, S.IN_PROGRESS, S.ON_HOLD, S.RESTORED}), None),
    Action.ESCALATE: (frozenset({S.PRIORITIZED, S.IN_PROGRESS, S.ON_HOLD}), None),
    Action.NOTE: (ALL - {S.CLOSED}, None),
    Action.PUBLIC_UPDATE: (ALL - {S.CLOSED}, None),
    Action.DIAGNOSE: (frozenset({S.IN_PROGRESS}), None),
    Action.CHANGE_PRIORITY: (frozenset({S.PRIORITIZED, S.IN_PROGRESS, S.ON_HOLD}), None),
    Action.HOLD: (frozenset({S.IN_PROGRESS}), S.ON_HOLD),
    Action.RESUME: (frozenset({S.ON_HOLD}), S.IN_PROGRESS),
    Action.WORKAROUND: (frozenset({S.IN_PROGRESS}), S.RESTORED),
    Action.RESOLVE: (frozenset({S.IN_PROGRESS, S.RESTORED}), S.RESOLVED),
    Action.CONFIRM: (frozenset({S.RESOLVED}), S.CLOSED),
    Action.REOPEN: (frozenset({S.RESTORED, S.RESOLVED}), S.IN_PROGRESS),
    Action.CANCEL: (ALL - {S.RESOLVED, S.CLOSED}, S.CLOSED),
}

CELLS = [(action, state) for action in EXPECTED_RULES for state in State]
REFUSED = [(a, s) for a, s in CELLS if s not in EXPECTED_RULES[a][0]]
ALLOWED = [(a, s) for a, s in CELLS if s in EXPECTED_RULES[a][0]]
REFUSAL_FORM = re.compile(
    r"^(?P<name>\S+) is (?P<state>[a-z_]+): (?P<action>[a-z_]+) needs (?P<needs>[a-z_]+(?: or [a-z_]+)*)$"
)


def cell_id(cell: tuple[Action, State]) -> str:
    return f"{cell[0]}-in-{cell[1]}"


def incident_in(state: State, number: str | None = "INC-1042") -> Incident:
    return Incident(workflow_id="incident-checkout-7f3a", number=number, service="checkout",
                    summary="5xx above 5%", source=Source.ENGINEER, state=state, logged_at=T0)  # fmt: skip


def test_the_rules_cover_exactly_the_actions_an_engineer_takes() -> None:
    assert set(ENGINEER_RULES) == set(EXPECTED_RULES)


@pytest.mark.parametrize("action", list(EXPECTED_RULES))
def test_each_action_is_allowed_in_the_states_of_the_design_and_leads_where_it_says(action: Action) -> None:
    assert ENGINEER_RULES[action] == EXPECTED_RULES[action]


@pytest.mark.parametrize(("action", "state"), ALLOWED, ids=[cell_id(c) for c in ALLOWED])
def test_an_allowed_action_is_not_refused(action: Action, state: State) -> None:
    assert refusal(incident_in(state), action) is None


@pytest.mark.parametrize(("action", "state"), REFUSED, ids=[cell_id(c) for c in REFUSED])
def test_a_refused_action_says_which_states_it_needs(action: Action, state: State) -> None:
    reason = refusal(incident_in(state), action)
    assert reason is not None
    match = REFUSAL_FORM.match(reason)
    assert match, reason
    assert match["name"] == "INC-1042"
    assert match["state"] == state.value
    assert match["action"] == action.value
    needs = match["needs"].split(" or ")
    assert set(needs) == {s.value for s in EXPECTED_RULES[action][0]}
    assert needs == [s.value for s in State if s.value in needs], "states are listed in process order"


def test_every_cell_is_either_allowed_or_refused_and_none_is_forgotten() -> None:
    assert len(ALLOWED) + len(REFUSED) == len(EXPECTED_RULES) * len(State)
    assert all((refusal(incident_in(s), a) is None) == (s in EXPECTED_RULES[a][0]) for a, s in CELLS)


@pytest.mark.parametrize(
    ("state", "action", "text"),
    [
        (S.RESOLVED, Action.WORKAROUND, "INC-1042 is resolved: workaround needs in_progress"),
        (S.IN_PROGRESS, Action.CONFIRM, "INC-1042 is in_progress: confirm needs resolved"),
        (S.CLOSED, Action.REOPEN, "INC-1042 is closed: reopen needs restored or resolved"),
        (S.RESTORED, Action.CHANGE_PRIORITY,
         "INC-1042 is restored: priority needs prioritized or in_progress or on_hold"),
        (S.LOGGED, Action.ACK, "INC-1042 is logged: ack needs prioritized"),
        (S.CLOSED, Action.NOTE,
         "INC-1042 is closed: note needs logged or categorized or prioritized or in_progress or on_hold"
         " or restored or resolved"),
    ],
)  # fmt: skip
def test_a_refusal_reads_as_one_line_for_the_engineer(state: State, action: Action, text: str) -> None:
    assert refusal(incident_in(state), action) == text


def test_an_incident_without_a_number_yet_is_named_by_its_workflow_id() -> None:
    reason = refusal(incident_in(S.LOGGED, number=None), Action.WORKAROUND)
    assert reason == "incident-checkout-7f3a is logged: workaround needs in_progress"


@pytest.mark.parametrize("action", list(EXPECTED_RULES))
def test_a_closed_incident_refuses_every_engineer_action(action: Action) -> None:
    assert refusal(incident_in(S.CLOSED), action) is not None


@pytest.mark.parametrize("action", list(EXPECTED_RULES))
def test_allowed_states_are_listed_in_process_order(action: Action) -> None:
    listed = allowed_states(action)
    assert listed == sorted(listed, key=list(State).index)
    assert set(listed) == EXPECTED_RULES[action][0]


def test_note_is_possible_in_every_open_state() -> None:
    assert all(refusal(incident_in(s), Action.NOTE) is None for s in OPEN_STATES)
    assert OPEN_STATES == ALL - {S.CLOSED}


def test_recording_a_move_changes_the_state_and_appends_who_what_from_to_and_why() -> None:
    incident = incident_in(S.PRIORITIZED)
    entry = record(incident, at=T0, actor="ana", action=Action.ACK, to_state=S.IN_PROGRESS,
                   detail="on it", notify=["group:service-desk"])  # fmt: skip
    assert incident.state is S.IN_PROGRESS
    assert incident.timeline == [entry]
    assert (entry.seq, entry.at, entry.actor, entry.action) == (1, T0, "ana", Action.ACK)
    assert (entry.from_state, entry.to_state, entry.detail) == (S.PRIORITIZED, S.IN_PROGRESS, "on it")
    assert entry.notify == ["group:service-desk"]


def test_recording_without_a_new_state_keeps_the_state() -> None:
    incident = incident_in(S.ON_HOLD)
    entry = record(incident, at=T0, actor="ana", action=Action.NOTE, detail="supplier called back")
    assert incident.state is S.ON_HOLD
    assert (entry.from_state, entry.to_state) == (S.ON_HOLD, S.ON_HOLD)
    assert entry.notify == []


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(Action)), st.none() | st.sampled_from(list(State))), max_size=30))
def test_the_timeline_is_numbered_in_order_and_each_entry_starts_where_the_last_ended(
    moves: list[tuple[Action, State | None]],
) -> None:
    incident = incident_in(S.LOGGED)
    for minute, (action, to_state) in enumerate(moves):
        record(incident, at=T0 + timedelta(minutes=minute), actor="ana", action=action, to_state=to_state)
    assert [e.seq for e in incident.timeline] == list(range(1, len(moves) + 1))
    assert all(a.to_state == b.from_state for a, b in zip(incident.timeline, incident.timeline[1:]))
    assert incident.state == (incident.timeline[-1].to_state if moves else S.LOGGED)


def test_pausing_an_already_paused_clock_keeps_the_first_pause() -> None:
    incident = incident_in(S.IN_PROGRESS)
    pause_restore_clock(incident, T0 + timedelta(hours=1))
    pause_restore_clock(incident, T0 + timedelta(hours=2))
    assert incident.paused_since == T0 + timedelta(hours=1)
    resume_restore_clock(incident, T0 + timedelta(hours=3))
    assert (incident.paused_since, incident.paused_seconds) == (None, 7200.0)


def test_resuming_a_running_clock_changes_nothing() -> None:
    incident = incident_in(S.IN_PROGRESS)
    resume_restore_clock(incident, T0 + timedelta(hours=3))
    assert (incident.paused_since, incident.paused_seconds) == (None, 0.0)


def test_a_resume_stamped_before_the_pause_never_takes_time_away() -> None:
    incident = incident_in(S.IN_PROGRESS)
    pause_restore_clock(incident, T0 + timedelta(hours=1))
    resume_restore_clock(incident, T0)
    assert (incident.paused_since, incident.paused_seconds) == (None, 0.0)
