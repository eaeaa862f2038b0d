"""Which action may happen in which state, and how a transition is written down.

Update validators call `refusal()` so that an illegal transition is refused before
it reaches history; the action functions call `record()` so that every change is
one timeline entry with who, when, from, to and why.
"""

from datetime import datetime

from domain.enums import Action, State
from domain.incident import Incident, TimelineEntry

S = State
WORKING = frozenset({S.PRIORITIZED, S.IN_PROGRESS, S.ON_HOLD})

# action -> (states it is allowed in, state it leads to; None keeps the state)
ENGINEER_RULES: dict[Action, tuple[frozenset[State], State | None]] = {
    Action.ACK: (frozenset({S.PRIORITIZED}), S.IN_PROGRESS),  # and any state while paging: domain.acknowledgement
    Action.ASSIGN: (WORKING | {S.RESTORED}, None),
    Action.ESCALATE: (WORKING, None),
    Action.NOTE: (frozenset(State) - {S.CLOSED}, None),
    Action.PUBLIC_UPDATE: (frozenset(State) - {S.CLOSED}, None),
    Action.DIAGNOSE: (frozenset({S.IN_PROGRESS}), None),
    Action.CHANGE_PRIORITY: (WORKING, None),
    Action.HOLD: (frozenset({S.IN_PROGRESS}), S.ON_HOLD),
    Action.RESUME: (frozenset({S.ON_HOLD}), S.IN_PROGRESS),
    Action.WORKAROUND: (frozenset({S.IN_PROGRESS}), S.RESTORED),
    Action.RESOLVE: (frozenset({S.IN_PROGRESS, S.RESTORED}), S.RESOLVED),
    Action.CONFIRM: (frozenset({S.RESOLVED}), S.CLOSED),
    Action.REOPEN: (frozenset({S.RESTORED, S.RESOLVED}), S.IN_PROGRESS),
    Action.CANCEL: (frozenset(State) - {S.RESOLVED, S.CLOSED}, S.CLOSED),
}

# The order states are listed in refusals, so messages read like the process.
_ORDER = list(State)


def allowed_states(action: Action) -> list[State]:
    return sorted(ENGINEER_RULES[action][0], key=_ORDER.index)


def refusal(incident: Incident, action: Action) -> str | None:
    """Why the state does not allow `action` now, in one line, or None when it can. An acknowledgement
    has its own rule (domain.acknowledgement), which uses this table's words.

    e.g. 'INC-1042 is resolved: workaround needs in_progress'
    """
    allowed, _ = ENGINEER_RULES[action]
    if incident.state in allowed:
        return None
    return state_refusal(incident.display_name, incident.state, action)


def state_refusal(name: str, state: str, action: Action) -> str:
    """The words of a refusal by state, wherever the state was read (incidentctl reads a closed
    incident's from its view)."""
    return f"{name} is {state}: {action} needs {' or '.join(allowed_states(action))}"


def record(
    incident: Incident,
    *,
    at: datetime,
    actor: str,
    action: Action,
    to_state: State | None = None,
    detail: str = "",
    notify: list[str] | None = None,
) -> TimelineEntry:
    """Move the incident (or keep it) and append the timeline entry that says so."""
    from_state = incident.state
    if to_state is not None:
        incident.state = to_state
    entry = TimelineEntry(
        seq=len(incident.timeline) + 1,
        at=at,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=incident.state,
        detail=detail,
        notify=notify or [],
    )
    incident.timeline.append(entry)
    return entry


def pause_restore_clock(incident: Incident, at: datetime) -> None:
    if incident.paused_since is None:
        incident.paused_since = at


def resume_restore_clock(incident: Incident, at: datetime) -> None:
    if incident.paused_since is not None:
        incident.paused_seconds += max(0.0, (at - incident.paused_since).total_seconds())
        incident.paused_since = None
