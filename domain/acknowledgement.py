"""The acknowledgement rule: whether an acknowledgement takes the incident on or only stops its paging.

An acknowledgement comes three ways: an engineer's `incidentctl ack`, a page's acknowledgement link,
and an alert source's acknowledge (the events API). All three go through `effect()`:

- prioritized (waiting for someone): it takes the incident on, which meets the response target and
  moves it to in_progress. A person becomes its assignee; an integration is recorded as the actor
  but assigns nobody, since an assignee is a person or a group, never a tool.
- paging while already in work (escalated, reassigned, the restore warning): it stops the paging.
- an integration's acknowledge before prioritization (logged, categorized) is remembered and takes
  the incident on once it is prioritized (`settle_early`).
- otherwise there is nothing to acknowledge: a person is told why (`refusal`); an integration's
  acknowledge is ignored, as alert sources are never refused.
"""

from datetime import datetime
from enum import StrEnum

from domain.enums import Action, State
from domain.incident import Incident
from domain.lifecycle import record, state_refusal


class Via(StrEnum):
    ENGINEER = "engineer"  # incidentctl ack
    LINK = "link"  # a page's acknowledgement link (the receiver's acknowledge_page update)
    INTEGRATION = "integration"  # an alert source's acknowledge (events API)


class Effect(StrEnum):
    TAKE = "take"  # takes the incident on: prioritized -> in_progress
    STOP_PAGING = "stop_paging"  # the incident stays where it is; its paging stops
    REMEMBER = "remember"  # applied once the incident is prioritized
    NONE = "none"  # nothing to acknowledge


BEFORE_PRIORITY = frozenset({State.LOGGED, State.CATEGORIZED})
IN_WORK = frozenset({State.IN_PROGRESS, State.ON_HOLD})


def effect(incident: Incident, via: Via) -> Effect:
    if incident.state is State.PRIORITIZED:
        return Effect.TAKE
    if via is Via.INTEGRATION:
        if incident.state in BEFORE_PRIORITY:
            return Effect.REMEMBER
        return Effect.STOP_PAGING if incident.pagings and incident.state in IN_WORK else Effect.NONE
    return Effect.STOP_PAGING if incident.pagings else Effect.NONE


def refusal(incident: Incident, via: Via) -> str | None:
    """Why a person's acknowledgement cannot happen now, in one line, or None when it can."""
    if via is Via.INTEGRATION or effect(incident, via) is not Effect.NONE:
        return None
    if via is Via.LINK:
        who = f", acknowledged by {incident.assignee}" if incident.assignee else ""
        return f"{incident.display_name} is {incident.state}{who}: nothing to acknowledge"
    return state_refusal(incident.display_name, incident.state, Action.ACK)


def acknowledge(incident: Incident, actor: str, at: datetime, via: Via, page: int | None = None) -> Effect:
    """Apply the acknowledgement (`refusal()` said yes); `page` is the page a link answered."""
    happens = effect(incident, via)
    if happens is Effect.TAKE:
        take(incident, actor, at, assigns=via is not Via.INTEGRATION)
    elif happens is Effect.STOP_PAGING:
        stop_paging(incident, actor, at, page if via is Via.LINK else None)
    elif happens is Effect.REMEMBER:
        incident.early_ack = actor
    return happens


def settle_early(incident: Incident, at: datetime) -> None:
    """Just prioritized: an integration's acknowledgement that came before now takes the incident on."""
    if incident.early_ack and effect(incident, Via.INTEGRATION) is Effect.TAKE:
        take(incident, incident.early_ack, at, assigns=False)


def take(incident: Incident, actor: str, at: datetime, assigns: bool = True) -> None:
    incident.acknowledged_at = incident.acknowledged_at or at
    if assigns:
        incident.assignee = incident.assignee or actor
    record(
        incident,
        at=at,
        actor=actor,
        action=Action.ACK,
        to_state=State.IN_PROGRESS,
        detail=f"acknowledged by {actor}; diagnosis under way",
    )


def stop_paging(incident: Incident, actor: str, at: datetime, page: int | None = None) -> None:
    """The paging stops (domain.paging_rules reads this entry); the incident stays where it is."""
    which = f" {page}" if page else ""
    record(
        incident,
        at=at,
        actor=actor,
        action=Action.PAGE_ACK,
        detail=f"page{which} acknowledged by {actor}: paging stopped",
    )
