"""The steps the workflow walks by itself: registration, categorization, prioritization."""

from datetime import datetime

from domain.catalog import Category, KnownError, ServiceAgreement
from domain.enums import Action, Outcome, State
from domain.incident import Incident
from domain.lifecycle import record
from domain.priority import is_major, priority_for
from domain.releases import RecentChange, changes_detail

SYSTEM = "system"


def register(
    incident: Incident,
    *,
    number: str,
    agreement: ServiceAgreement,
    previous_number: str | None,
    at: datetime,
) -> None:
    incident.number = number
    incident.agreement = agreement
    incident.previous_number = previous_number
    detail = f"{incident.source} incident for {incident.service}: {incident.summary}"
    if incident.supplier:
        detail += f" (supplier {incident.supplier})"
    if previous_number:
        detail += f"; follows {previous_number}"
    record(incident, at=at, actor=incident.caller or SYSTEM, action=Action.REGISTER, detail=detail)


def choose_category(agreement: ServiceAgreement, text: str, hint: str | None) -> Category:
    """The named category if the catalog has it, else the first whose keywords appear."""
    for category in agreement.categories:
        if category.name == hint:
            return category
    lowered = text.lower()
    for category in agreement.categories:
        if any(word.lower() in lowered for word in category.keywords):
            return category
    return agreement.categories[0]


def categorize(incident: Incident, category: Category, at: datetime) -> None:
    incident.category = category.name
    incident.runbook = category.runbook
    incident.group = category.group
    detail = f"category {category.name}, incident model: group {category.group}"
    if category.runbook:
        detail += f", runbook {category.runbook}"
    record(incident, at=at, actor=SYSTEM, action=Action.CATEGORIZE, to_state=State.CATEGORIZED, detail=detail)


def close_as_known_error(incident: Incident, known: KnownError, at: datetime) -> None:
    """Expected errors are not incidents: answer with the documented workaround, no SLA clock; the
    record says which phrases matched."""
    incident.known_error_id = known.id
    incident.workaround = known.workaround
    incident.problem = known.problem
    incident.outcome = Outcome.KNOWN_ERROR
    incident.closed_at = at
    record(
        incident,
        at=at,
        actor=SYSTEM,
        action=Action.KNOWN_ERROR,
        to_state=State.CLOSED,
        detail=f"matches {known.describe_match()}; workaround: {known.workaround}",
        notify=[f"group:{incident.group}"],
    )


def offer_known_error(incident: Incident, known: KnownError, at: datetime) -> bool:
    """A known error published while the incident is open and matching it: link it and offer its
    workaround to whoever works on it, its group and its assignee. Not closed: someone is already on
    it. False: nothing to do."""
    if (
        incident.is_closed
        or known.id in incident.offered_known_errors
        or not known.matches(incident.service, incident.summary)
    ):
        return False
    incident.offered_known_errors.append(known.id)
    for_whom = f" for {incident.assignee}" if incident.assignee else ""
    problem = f"; problem {known.problem}" if known.problem else ""
    record(
        incident,
        at=at,
        actor=SYSTEM,
        action=Action.KNOWN_ERROR_OFFERED,
        detail=f"matches {known.describe_match()}{problem}; workaround offered{for_whom}: {known.workaround}",
        notify=[f"group:{incident.group}"] + ([f"person:{incident.assignee}"] if incident.assignee else []),
    )
    return True


def note_recent_changes(incident: Incident, changes: list[RecentChange], total: int, at: datetime) -> None:
    """What changed just before it broke, on the record of the incident (none: nothing recorded)."""
    if total == 0 or incident.agreement is None:
        return
    incident.recent_changes = changes
    record(
        incident,
        at=at,
        actor=SYSTEM,
        action=Action.RECENT_CHANGES,
        detail=changes_detail(changes, total, incident.agreement.change_window, incident.logged_at),
    )


DEFAULT_SCALE = (2, 2)  # an event that says nothing about its reach: P3, reviewed by a person


def fill_scale(incident: Incident) -> None:
    """Impact and urgency as given, else from the catalog's severity map, else the default."""
    assert incident.agreement is not None
    mapped = incident.agreement.severity.get(incident.severity.lower()) or incident.agreement.severity.get("default")
    impact, urgency = (mapped.impact, mapped.urgency) if mapped else DEFAULT_SCALE
    incident.impact = incident.impact or impact
    incident.urgency = incident.urgency or urgency


def prioritize(incident: Incident, at: datetime) -> None:
    fill_scale(incident)
    assert incident.impact is not None and incident.urgency is not None
    incident.priority = priority_for(incident.impact, incident.urgency)
    incident.major = is_major(incident.priority)
    record(
        incident,
        at=at,
        actor=SYSTEM,
        action=Action.PRIORITIZE,
        to_state=State.PRIORITIZED,
        detail=f"impact {incident.impact} x urgency {incident.urgency} = {incident.priority}; "
        f"assigned to {incident.group}",
        notify=[f"group:{incident.group}"],
    )
    if incident.major:
        declare_major(incident, at, actor=SYSTEM)


def declare_major(incident: Incident, at: datetime, actor: str) -> None:
    """P1: immediate hierarchical escalation; stakeholder updates start now."""
    assert incident.agreement is not None
    incident.major = True
    incident.last_stakeholder_update = at
    record(
        incident,
        at=at,
        actor=actor,
        action=Action.MAJOR_ESCALATION,
        detail=f"major incident: service manager {incident.agreement.service_manager} and stakeholders informed",
        notify=[f"manager:{incident.agreement.service_manager}", "stakeholders"],
    )
