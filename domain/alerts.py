"""Alert events inside an incident: occurrences, restore when all resolve, reopen on re-fire."""

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel

from domain.actions import acknowledge, reopen
from domain.enums import Action, State
from domain.incident import Incident, Occurrence
from domain.lifecycle import WORKING, pause_restore_clock, record


class AlertEvent(BaseModel):
    """One alert as one delivery reported it."""

    key: str  # Alertmanager fingerprint, or the events-API dedup key
    status: Literal["firing", "resolved", "acknowledged"]
    at: AwareDatetime  # when the receiver accepted it
    description: str = ""


def apply_alerts(incident: Incident, events: list[AlertEvent], actor: str) -> None:
    """Count every delivery, then let the set of firing alerts move the incident."""
    for event in events:
        if event.status == "acknowledged":
            if incident.state is State.PRIORITIZED:
                acknowledge(incident, actor, event.at)
            continue
        occurrence = incident.occurrences.get(event.key)
        if occurrence is None:
            occurrence = Occurrence(key=event.key, first_seen=event.at, last_seen=event.at,
                                    description=event.description, firing=False)  # fmt: skip
            incident.occurrences[event.key] = occurrence
        was_firing = occurrence.firing
        occurrence.last_seen = event.at
        occurrence.firing = event.status == "firing"
        if occurrence.firing:
            occurrence.count += 1
        if occurrence.firing and not was_firing:
            if incident.state in (State.RESTORED, State.RESOLVED):
                reopen(incident, actor, event.at, f"alert {event.key} fired again within the quiet window")
            elif incident.state is not State.CLOSED:
                record(incident, at=event.at, actor=actor, action=Action.ALERT_FIRED,
                       detail=f"alert {event.key} firing: {event.description}"[:500])  # fmt: skip
    settle_alerts(incident, events[-1].at if events else None, actor)


def settle_alerts(incident: Incident, at: datetime | None, actor: str) -> None:
    """All alerts of the group resolved: the service is restored and the quiet window starts."""
    if at is None or not incident.occurrences or incident.firing_alerts:
        return
    if incident.state in WORKING:
        incident.restored_at = at
        pause_restore_clock(incident, at)
        record(incident, at=at, actor=actor, action=Action.ALERT_RESOLVED, to_state=State.RESTORED,
               detail="every alert of the group resolved: service restored, quiet window started",
               notify=[f"group:{incident.group}", "stakeholders"])  # fmt: skip
