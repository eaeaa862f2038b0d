"""Which agreed time comes next, and what happens when it comes.

The workflow sleeps until `next_timer()` and then calls `fire()`; because both
read only the incident, a restart, a priority change or a hold simply yields a
different next timer.
"""

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel

from domain.actions import close
from domain.enums import Action, Outcome, State
from domain.incident import Incident
from domain.lifecycle import record
from domain.process import SYSTEM
from domain.sla import response_due, restore_clock_running, restore_due, restore_warning_at, targets

STAKEHOLDER_STATES = frozenset({State.PRIORITIZED, State.IN_PROGRESS, State.ON_HOLD})


class TimerKind(StrEnum):
    RESPONSE = "response target"
    RESTORE_WARNING = "restore warning"
    RESTORE_BREACH = "restore target"
    STAKEHOLDER_UPDATE = "stakeholder update"
    CONFIRMATION_WINDOW = "confirmation window"
    QUIET_WINDOW = "quiet window"
    PAGE = "page"  # the next step of an escalation policy: the workflow pages (an activity), not fire()


class DueTimer(BaseModel):
    kind: TimerKind
    at: AwareDatetime

    def summary(self, incident: Incident) -> str:
        return f"{incident.display_name} {self.kind} at {self.at.isoformat(timespec='seconds')}"


def next_timer(incident: Incident, now: datetime) -> DueTimer | None:
    agreed, agreement = targets(incident), incident.agreement
    if agreed is None or agreement is None or incident.is_closed:
        return None
    due: list[DueTimer] = []
    if incident.acknowledged_at is None and incident.state is State.PRIORITIZED:
        # each further target period without an acknowledgement climbs one more support line
        first = response_due(incident)
        assert first is not None
        due.append(DueTimer(kind=TimerKind.RESPONSE, at=first + agreed.response * incident.response_escalations))
    if restore_clock_running(incident):
        if not incident.restore_warned:
            due.append(DueTimer(kind=TimerKind.RESTORE_WARNING, at=restore_warning_at(incident, now)))
        if not incident.breached:
            due.append(DueTimer(kind=TimerKind.RESTORE_BREACH, at=restore_due(incident, now)))
    if incident.major and incident.state in STAKEHOLDER_STATES and incident.last_stakeholder_update:
        at = incident.last_stakeholder_update + agreement.major_update_interval
        due.append(DueTimer(kind=TimerKind.STAKEHOLDER_UPDATE, at=at))
    if incident.state is State.RESOLVED and incident.resolved_at:
        due.append(
            DueTimer(kind=TimerKind.CONFIRMATION_WINDOW, at=incident.resolved_at + agreement.confirmation_window)
        )
    if incident.state is State.RESTORED and incident.from_alerts and incident.firing_alerts == 0:
        assert incident.restored_at is not None
        quiet_from = max(incident.restored_at, incident.quiet_since or incident.restored_at)
        due.append(DueTimer(kind=TimerKind.QUIET_WINDOW, at=quiet_from + agreement.quiet_window))
    if incident.pagings:
        due.append(DueTimer(kind=TimerKind.PAGE, at=min(p.next_at for p in incident.pagings)))
    return min(due, key=lambda timer: timer.at) if due else None


def fire(incident: Incident, kind: TimerKind, now: datetime) -> None:
    """What an agreed time does when it comes; a major incident's reminder asks for a status-page update."""
    agreement = incident.agreement
    assert agreement is not None
    manager = f"manager:{agreement.service_manager}"
    if kind is TimerKind.RESPONSE:
        incident.response_escalations += 1
        next_line = agreement.next_line(incident.group)
        if next_line is None:
            detail, notify = f"response target missed, no further support line after {incident.group}", [manager]
        else:
            detail = f"response target missed: functional escalation {incident.group} -> {next_line}"
            notify = [f"group:{next_line}", f"group:{incident.group}"]
            incident.group = next_line
        record(incident, at=now, actor=SYSTEM, action=Action.RESPONSE_ESCALATION, detail=detail, notify=notify)
    elif kind is TimerKind.RESTORE_WARNING:
        incident.restore_warned = True
        percent = round(agreement.warning_ratio * 100)
        record(
            incident,
            at=now,
            actor=SYSTEM,
            action=Action.RESTORE_WARNING,
            detail=f"{percent}% of the restore time used: hierarchical escalation to {agreement.service_manager}",
            notify=[manager, f"group:{incident.group}"],
        )
    elif kind is TimerKind.RESTORE_BREACH:
        incident.breached = True
        record(
            incident,
            at=now,
            actor=SYSTEM,
            action=Action.SLA_BREACH,
            detail=f"restore target of {incident.priority} breached",
            notify=[manager, f"group:{incident.group}", "stakeholders"],
        )
    elif kind is TimerKind.STAKEHOLDER_UPDATE:
        incident.last_stakeholder_update = now
        ask = f": post one for the status page, incidentctl update {incident.display_name} --public TEXT"
        record(
            incident,
            at=now,
            actor=SYSTEM,
            action=Action.STAKEHOLDER_REMINDER,
            detail=f"stakeholder update due for major incident ({incident.state})" + ask,
            notify=["stakeholders", f"group:{incident.group}"],
        )
    elif kind is TimerKind.CONFIRMATION_WINDOW:
        close(
            incident,
            SYSTEM,
            now,
            Action.AUTO_CLOSE,
            Outcome.RESOLVED,
            f"no answer within the {agreement.confirmation_window} confirmation window: closed",
        )
    elif kind is TimerKind.QUIET_WINDOW:
        close(
            incident,
            SYSTEM,
            now,
            Action.QUIET_CLOSE,
            Outcome.RESOLVED,
            f"alerts quiet for {agreement.quiet_window} after restore: closed",
        )
