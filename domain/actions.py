"""What engineers do to an incident. Each function assumes `lifecycle.refusal()` said yes."""

from datetime import datetime

from domain.catalog import Category
from domain.enums import Action, HoldReason, Outcome, Priority, State
from domain.incident import Incident
from domain.lifecycle import pause_restore_clock, record, resume_restore_clock
from domain.names import unknown_name
from domain.priority import priority_for
from domain.process import declare_major
from domain.sla import restore_warning_at


def manager_audience(incident: Incident) -> str:
    """Who is told when the incident needs management: its service manager, or the stakeholders."""
    return f"manager:{incident.agreement.service_manager}" if incident.agreement else "stakeholders"


def assign(incident: Incident, actor: str, at: datetime, group: str, person: str, known_as: str = "") -> None:
    """`known_as`: where the sender found a group that is not one of the service's own (unknown_group)."""
    left = left_own_lines(incident, group, known_as)
    incident.group = group
    incident.assignee = person
    if person and person not in incident.assigned:
        incident.assigned.append(person)
    to_state = None
    if incident.state is State.PRIORITIZED:  # assigning is taking it on: the response target is met
        incident.acknowledged_at = incident.acknowledged_at or at
        to_state = State.IN_PROGRESS
    who = f"{group}/{person}" if person else group
    record(
        incident,
        at=at,
        actor=actor,
        action=Action.ASSIGN,
        to_state=to_state,
        detail=f"assigned to {who}{left}",
        notify=[f"group:{group}"],
    )


def escalation_refusal(incident: Incident, to_group: str | None) -> str | None:
    if to_group is not None and to_group == incident.group:
        return f"{incident.display_name} is already with {to_group}"
    return None


def unknown_support_line(incident: Incident, to_group: str | None, known_as: str = "") -> str | None:
    """Functional escalation goes to a support line of the service, or to a group the sender found in
    the catalog or oncall.toml (`known_as`): a typo must not strand the incident."""
    lines = incident.agreement.support_lines if incident.agreement else []
    if to_group is None or not lines or to_group in lines or known_as:
        return None
    return f"{incident.display_name}: " + unknown_name(f"a support line of {incident.service}", to_group, lines)


def known_groups(incident: Incident) -> list[str]:
    return incident.agreement.own_groups() if incident.agreement else []


def unknown_group(incident: Incident, group: str, known_as: str = "") -> str | None:
    """A group outside the service is taken when the sender found it in the catalog or oncall.toml
    (`known_as`, e.g. "a group of email"): the validator cannot read them, incidentctl does."""
    groups = known_groups(incident)
    if not groups or group in groups or known_as:
        return None
    return f"{incident.display_name}: " + unknown_name(f"a group of {incident.service}", group, groups)


def outside_own_lines(incident: Incident, group: str) -> bool:
    """The incident is with a group that is none of its service's own (functional escalation across teams)."""
    groups = known_groups(incident)
    return bool(groups) and group not in groups


def left_own_lines(incident: Incident, group: str, known_as: str) -> str:
    """What the timeline adds when the incident leaves its service's own groups."""
    if not outside_own_lines(incident, group):
        return ""
    return f"; it left {incident.service}'s own lines" + (f" ({group} is {known_as})" if known_as else "")


def category_refusal(incident: Incident, name: str | None) -> str | None:
    known = [c.name for c in incident.agreement.categories] if incident.agreement else []
    if name and name not in known:
        return f"{incident.display_name}: " + unknown_name(f"a category of {incident.service}", name, known)
    return None


def escalate(
    incident: Incident, actor: str, at: datetime, to_group: str | None, reason: str, known_as: str = ""
) -> None:
    """Functional (to another group) when `to_group` is given, else hierarchical (management)."""
    if to_group is not None:
        left = left_own_lines(incident, to_group, known_as)
        incident.group = to_group
        detail, notify = f"functional escalation to {to_group}: {reason}{left}", [f"group:{to_group}"]
    else:
        detail, notify = f"hierarchical escalation to management: {reason}", [manager_audience(incident)]
    record(incident, at=at, actor=actor, action=Action.ESCALATE, detail=detail, notify=notify)


def note(incident: Incident, actor: str, at: datetime, text: str) -> None:
    record(incident, at=at, actor=actor, action=Action.NOTE, detail=text)


def public_update(incident: Incident, actor: str, at: datetime, text: str) -> None:
    """Words for the business (the status page), written by a person. For a major incident it is the
    stakeholder update the reminder asks for, so the next reminder is due an interval from now."""
    if incident.major:
        incident.last_stakeholder_update = at
    record(incident, at=at, actor=actor, action=Action.PUBLIC_UPDATE, detail=text, notify=["stakeholders"])


def diagnose(incident: Incident, actor: str, at: datetime, finding: str, category: Category | None) -> None:
    detail = finding
    if category is not None and category.name != incident.category:
        detail += f" (recategorized {incident.category} -> {category.name})"
        incident.category = category.name
        incident.runbook = category.runbook
    record(incident, at=at, actor=actor, action=Action.DIAGNOSE, detail=detail)


def priority_refusal(incident: Incident, impact: int, urgency: int) -> str | None:
    if (impact, urgency) == (incident.impact, incident.urgency):
        return f"{incident.display_name} already has impact {impact} and urgency {urgency} ({incident.priority})"
    return None


def change_priority(incident: Incident, actor: str, at: datetime, impact: int, urgency: int, reason: str) -> None:
    """Deadlines are measured from the logged time, so they move with the priority by themselves."""
    old = incident.priority
    incident.impact, incident.urgency = impact, urgency
    incident.priority = priority_for(impact, urgency)
    if incident.restore_warned and restore_warning_at(incident, at) > at:
        incident.restore_warned = False  # the new, later warning is still to come
    record(
        incident,
        at=at,
        actor=actor,
        action=Action.CHANGE_PRIORITY,
        detail=f"{old} -> {incident.priority} (impact {impact}, urgency {urgency}): {reason}",
        notify=[f"group:{incident.group}"],
    )
    if incident.priority is Priority.P1 and not incident.major:
        declare_major(incident, at, actor)
    elif incident.priority is not Priority.P1:
        incident.major = False


def hold(incident: Incident, actor: str, at: datetime, reason: HoldReason, text: str) -> None:
    pause_restore_clock(incident, at)
    record(
        incident,
        at=at,
        actor=actor,
        action=Action.HOLD,
        to_state=State.ON_HOLD,
        detail=f"waiting for {reason}: {text}; restore clock paused",
    )


def resume(incident: Incident, actor: str, at: datetime) -> None:
    resume_restore_clock(incident, at)
    record(
        incident,
        at=at,
        actor=actor,
        action=Action.RESUME,
        to_state=State.IN_PROGRESS,
        detail="restore clock running again",
    )


def apply_workaround(incident: Incident, actor: str, at: datetime, text: str) -> None:
    """Restore first: a workaround that restores service stops the restore clock."""
    incident.workaround = text
    incident.restored_at = at
    pause_restore_clock(incident, at)
    record(
        incident,
        at=at,
        actor=actor,
        action=Action.WORKAROUND,
        to_state=State.RESTORED,
        detail=f"service restored by workaround: {text}",
        notify=[f"group:{incident.group}", "stakeholders"],
    )


def resolve_refusal(incident: Incident, problem: str | None) -> str | None:
    if incident.major and not problem:
        return f"{incident.display_name} is a major incident (P1): resolve needs --problem PRB-..."
    return None


def resolve(incident: Incident, actor: str, at: datetime, resolution: str, problem: str | None) -> None:
    incident.resolution = resolution
    incident.problem = problem or incident.problem
    incident.restored_at = incident.restored_at or at
    incident.resolved_at = at
    pause_restore_clock(incident, at)
    detail = f"resolved: {resolution}" + (f" (problem {problem})" if problem else "")
    record(
        incident,
        at=at,
        actor=actor,
        action=Action.RESOLVE,
        to_state=State.RESOLVED,
        detail=detail,
        notify=[f"group:{incident.group}", "stakeholders"],
    )


def close(incident: Incident, actor: str, at: datetime, action: Action, outcome: Outcome, detail: str) -> None:
    incident.outcome = outcome
    incident.closed_at = at
    pause_restore_clock(incident, at)
    record(
        incident,
        at=at,
        actor=actor,
        action=action,
        to_state=State.CLOSED,
        detail=detail,
        notify=[f"group:{incident.group}", "stakeholders"],
    )


def reopen(incident: Incident, actor: str, at: datetime, reason: str) -> None:
    """Back to work in the same incident; the restore clock runs again from where it stopped.

    Nobody acknowledged it yet (alerts fired, resolved and fired again)? Then it goes back to
    prioritized: it still needs someone to take it on, and its response target still escalates.
    """
    incident.restored_at = None
    incident.resolved_at = None
    resume_restore_clock(incident, at)
    waiting = incident.acknowledged_at is None
    detail = f"reopened: {reason}" + ("; not acknowledged yet" if waiting else "")
    record(
        incident,
        at=at,
        actor=actor,
        action=Action.REOPEN,
        to_state=State.PRIORITIZED if waiting else State.IN_PROGRESS,
        detail=detail,
        notify=[f"group:{incident.group}"],
    )
