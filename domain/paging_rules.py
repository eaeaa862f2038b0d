"""When an incident pages people, and when it stops: decided from its timeline. Pure.

After every change the workflow calls `respond()`, which looks at the timeline entries added since
the last call. Only urgent incidents page (P1 to P3; P4 and P5 are told by notification alone):

- prioritized, or reopened: page the group's on-call, by the service's policy for the category;
- escalated to another support line (by an engineer, or by the response target): page that line's
  on-call instead;
- assigned: page the person it was assigned to, or the new group's on-call;
- with a group outside the service's own (a misrouted incident passed to the team that knows):
  page that group's on-call as oncall.toml pages a group without a policy, since the service's
  policy names its own teams;
- the restore target nearly due (the restore warning): page the service manager as well;
- acknowledged (incidentctl ack, an acknowledgement link, an events-API acknowledge), restored,
  resolved or closed: stop paging at once.
"""

from datetime import datetime

from domain.actions import manager_audience, outside_own_lines
from domain.enums import Action, Priority, State
from domain.incident import Incident
from domain.lifecycle import record
from domain.paging import EscalationPolicy, PageStep, Paging, begin, policy_for, start
from domain.process import SYSTEM

URGENT = frozenset({Priority.P1, Priority.P2, Priority.P3})
STOPS = frozenset({Action.ACK, Action.PAGE_ACK, Action.WORKAROUND, Action.RESOLVE})
GROUP_PAGES = frozenset({Action.PRIORITIZE, Action.REOPEN, Action.ESCALATE, Action.RESPONSE_ESCALATION})
QUIET_STATES = frozenset({State.RESTORED, State.RESOLVED, State.CLOSED})
WARNING_POLICY = "restore warning"  # the service manager's page beside the group's


def respond(incident: Incident, at: datetime) -> None:
    new = [e for e in incident.timeline if e.seq > incident.paged_through]
    if not new:
        return
    incident.paged_through = new[-1].seq
    policies = _policies(incident)
    for entry in new:
        if entry.action in STOPS:
            incident.pagings = []
        elif incident.priority not in URGENT:
            continue
        elif entry.action in GROUP_PAGES and _pages_group(entry.action, entry.detail):
            _replace_group_paging(
                incident, start(policies, incident.category, incident.group, _reason(entry.action, incident), at)
            )
        elif entry.action is Action.ASSIGN:
            person = incident.assignee
            policy = (
                EscalationPolicy(name=f"assigned to {person}", steps=[PageStep(page=f"person:{person}")])
                if person
                else policy_for(policies, incident.category)
            )
            _replace_group_paging(
                incident, begin(policy, incident.group, f"assigned to {person or incident.group}", at)
            )
        elif entry.action is Action.RESTORE_WARNING and incident.agreement is not None:
            manager = f"person:{incident.agreement.service_manager}"
            warning = EscalationPolicy(name=WARNING_POLICY, steps=[PageStep(page=manager)], repeat=0)
            incident.pagings = [p for p in incident.pagings if p.policy.name != WARNING_POLICY]
            incident.pagings.append(
                begin(warning, incident.group, f"restore target of {incident.priority} nearly due", at)
            )
    if incident.state in QUIET_STATES:
        incident.pagings = []


def _policies(incident: Incident) -> list[EscalationPolicy]:
    if incident.agreement is None or outside_own_lines(incident, incident.group):
        return []  # paging.policy_for: the default policy, the group's on-call
    return incident.agreement.escalation


def _pages_group(action: Action, detail: str) -> bool:
    if action is Action.ESCALATE:
        return detail.startswith("functional escalation")  # hierarchical: management is told, not paged
    if action is Action.RESPONSE_ESCALATION:
        return "->" in detail  # a support line was left; with none further, the manager is notified
    return True


def _reason(action: Action, incident: Incident) -> str:
    return {
        Action.PRIORITIZE: f"{incident.priority} logged",
        Action.REOPEN: "reopened",
        Action.ESCALATE: f"escalated to {incident.group}",
        Action.RESPONSE_ESCALATION: f"response target missed: escalated to {incident.group}",
    }[action]


def _replace_group_paging(incident: Incident, paging: Paging) -> None:
    """One paging for the group at a time (a manager's warning page goes on beside it)."""
    incident.pagings = [p for p in incident.pagings if p.policy.name == WARNING_POLICY] + [paging]


def due(incident: Incident, at: datetime) -> list[Paging]:
    return [p for p in incident.pagings if p.next_at <= at]


def give_up(incident: Incident, paging: Paging, at: datetime) -> None:
    """Every round of `paging` went unacknowledged: it ends, and the manager and the group are told."""
    incident.pagings = [p for p in incident.pagings if p is not paging]
    record(
        incident,
        at=at,
        actor=SYSTEM,
        action=Action.PAGING_EXHAUSTED,
        detail=f"nobody acknowledged after {paging.policy.repeat + 1} round(s) of {paging.policy.name}",
        notify=[manager_audience(incident), f"group:{incident.group}"],
    )


def next_page_at(incident: Incident) -> datetime | None:
    return min((p.next_at for p in incident.pagings), default=None)


def runbook(incident: Incident) -> str:
    """The runbook a page carries: the alert's own (its `runbook_url` annotation, PagerDuty's runbook
    link or custom detail) says how to handle this very alert; the category's is the fallback."""
    own = incident.alert_context.runbook_url if incident.alert_context else ""
    return own or incident.runbook
