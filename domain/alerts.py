"""Alert events inside an incident: occurrences, restore when all resolve, reopen on re-fire."""

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel

from domain import acknowledgement
from domain.acknowledgement import Via
from domain.actions import reopen
from domain.enums import Action, State
from domain.incident import AlertContext, Incident, Occurrence
from domain.lifecycle import WORKING, pause_restore_clock, record


class AlertEvent(BaseModel):
    """One alert as one delivery reported it."""

    key: str  # Alertmanager fingerprint, or the events-API dedup key
    status: Literal["firing", "resolved", "acknowledged"]
    at: AwareDatetime  # when the receiver accepted it
    description: str = ""
    context: AlertContext | None = None  # what the sender said beyond the summary (links, details)
    # The receiver's inbox row that carried it. The inbox hands rows over at least once (a receiver
    # that stops between Temporal's answer and the row's delete sends them again): first_sight
    # applies each row once.
    inbox_seq: int | None = None


# Rows re-sent after a receiver restart were applied moments before: remembering the latest few
# thousand is enough, and keeps the incident (carried through continue-as-new) small.
INBOX_MEMORY = 2000


def first_sight(incident: Incident, events: list[AlertEvent]) -> list[AlertEvent]:
    """The events not applied before (events without an inbox row always are), remembering their rows."""
    seen = set(incident.inbox_seen)
    fresh = [e for e in events if e.inbox_seq is None or e.inbox_seq not in seen]
    new_rows = sorted({e.inbox_seq for e in fresh if e.inbox_seq is not None})
    if new_rows:
        incident.inbox_seen = (incident.inbox_seen + new_rows)[-INBOX_MEMORY:]
    return fresh


def apply_alerts(incident: Incident, events: list[AlertEvent], actor: str) -> None:
    """Count every delivery, then let the set of firing alerts move the incident; an acknowledgement
    follows domain.acknowledgement."""
    silenced = False  # did this batch resolve an alert that was firing?
    for event in events:
        if event.context is not None and event.status == "firing":
            incident.alert_context = event.context  # the newest firing alert says most about now
        if event.status == "acknowledged":
            acknowledgement.acknowledge(incident, actor, event.at, Via.INTEGRATION)
            continue
        occurrence = incident.occurrences.get(event.key)
        if occurrence is None:
            occurrence = Occurrence(
                key=event.key, first_seen=event.at, last_seen=event.at, description=event.description, firing=False
            )
            incident.occurrences[event.key] = occurrence
        was_firing = occurrence.firing
        occurrence.last_seen = event.at
        occurrence.firing = event.status == "firing"
        silenced = silenced or (was_firing and not occurrence.firing)
        if occurrence.firing:
            occurrence.count += 1
        if occurrence.firing and not was_firing:
            incident.quiet_since = None
            if incident.state in (State.RESTORED, State.RESOLVED):
                reopen(incident, actor, event.at, f"alert {event.key} fired again within the quiet window")
            elif incident.state is not State.CLOSED:
                record(
                    incident,
                    at=event.at,
                    actor=actor,
                    action=Action.ALERT_FIRED,
                    detail=f"alert {event.key} firing: {event.description}"[:500],
                )
    if silenced and not incident.firing_alerts:  # this batch silenced the last alert
        all_resolved(incident, events[-1].at, actor)


def settle_alerts(incident: Incident, at: datetime | None, actor: str) -> None:
    """After prioritization: what alerts said while the incident was being registered."""
    if at is not None:
        acknowledgement.settle_early(incident, at)
    if at is None or not incident.occurrences or incident.firing_alerts:
        return
    all_resolved(incident, at, actor)


def all_resolved(incident: Incident, at: datetime, actor: str) -> None:
    """All alerts of the group resolved: the service is restored and the quiet window starts."""
    incident.quiet_since = at
    if incident.state is State.RESTORED:  # restored earlier by a workaround: only the quiet window starts now
        record(
            incident,
            at=at,
            actor=actor,
            action=Action.ALERT_RESOLVED,
            detail="every alert of the group resolved: quiet window started",
        )
    elif incident.state in WORKING:
        incident.restored_at = at
        pause_restore_clock(incident, at)
        record(
            incident,
            at=at,
            actor=actor,
            action=Action.ALERT_RESOLVED,
            to_state=State.RESTORED,
            detail="every alert of the group resolved: service restored, quiet window started",
            notify=[f"group:{incident.group}", "stakeholders"],
        )
