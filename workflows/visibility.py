"""What auditors see in the Web UI: search attributes, memo and current details."""

from datetime import datetime

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

with workflow.unsafe.imports_passed_through():
    from domain.incident import Incident
    from domain.sla import deadlines

INCIDENT_NUMBER = SearchAttributeKey.for_keyword("IncidentNumber")
INCIDENT_STATE = SearchAttributeKey.for_keyword("IncidentState")
INCIDENT_PRIORITY = SearchAttributeKey.for_keyword("IncidentPriority")
INCIDENT_SERVICE = SearchAttributeKey.for_keyword("IncidentService")
INCIDENT_CATEGORY = SearchAttributeKey.for_keyword("IncidentCategory")
INCIDENT_GROUP = SearchAttributeKey.for_keyword("IncidentGroup")
INCIDENT_ASSIGNEE = SearchAttributeKey.for_keyword("IncidentAssignee")
INCIDENT_SOURCE = SearchAttributeKey.for_keyword("IncidentSource")
SLA_BREACHED = SearchAttributeKey.for_bool("SlaBreached")
MAJOR_INCIDENT = SearchAttributeKey.for_bool("MajorIncident")
RESTORE_DEADLINE = SearchAttributeKey.for_datetime("RestoreDeadline")

ALL_KEYS = (
    INCIDENT_NUMBER, INCIDENT_STATE, INCIDENT_PRIORITY, INCIDENT_SERVICE, INCIDENT_CATEGORY, INCIDENT_GROUP,
    INCIDENT_ASSIGNEE, INCIDENT_SOURCE, SLA_BREACHED, MAJOR_INCIDENT, RESTORE_DEADLINE,
)  # fmt: skip


def search_attribute_values(incident: Incident, now: datetime) -> dict[str, object]:
    """Name -> value; values that are unknown yet are left out rather than blanked."""
    due = deadlines(incident, now)
    values: dict[str, object] = {
        INCIDENT_NUMBER.name: incident.number,
        INCIDENT_STATE.name: str(incident.state),
        INCIDENT_PRIORITY.name: str(incident.priority) if incident.priority else None,
        INCIDENT_SERVICE.name: incident.service,
        INCIDENT_CATEGORY.name: incident.category,
        INCIDENT_GROUP.name: incident.group or None,
        INCIDENT_ASSIGNEE.name: incident.assignee or None,
        INCIDENT_SOURCE.name: str(incident.source),
        SLA_BREACHED.name: incident.breached,
        MAJOR_INCIDENT.name: incident.major,
        RESTORE_DEADLINE.name: due.restore_due,
    }
    return {name: value for name, value in values.items() if value is not None}


def changed_pairs(current: dict[str, object], last: dict[str, object]) -> list[SearchAttributePair]:
    """Only what changed, so each transition adds one small upsert to history."""
    keys = {key.name: key for key in ALL_KEYS}
    return [
        SearchAttributePair(keys[name], value)  # type: ignore[arg-type]
        for name, value in current.items()
        if last.get(name) != value
    ]


def initial_search_attributes(service: str, source: str) -> TypedSearchAttributes:
    """Set by the starter, so a new incident is findable before its first workflow task."""
    return TypedSearchAttributes([
        SearchAttributePair(INCIDENT_SERVICE, service),
        SearchAttributePair(INCIDENT_SOURCE, source),
        SearchAttributePair(INCIDENT_STATE, "logged"),
    ])  # fmt: skip


def static_summary(service: str, summary: str) -> str:
    return f"{service}: {summary}"[:200]


def current_details(incident: Incident, now: datetime) -> str:
    """Markdown shown on the workflow page: state, owner, deadlines, last action and who."""
    due = deadlines(incident, now)
    head = f"**{incident.display_name}** {incident.priority or ''} {incident.service}: {incident.summary}"
    lines = [head, f"state **{incident.state}**" + (f" ({incident.outcome})" if incident.outcome else "")]
    owner = incident.group + (f" / {incident.assignee}" if incident.assignee else "")
    if owner:
        lines.append(f"owner {owner}")
    if due.restore_due is not None and incident.restored_at is None and not incident.is_closed:
        paused = " (paused)" if incident.paused_since else ""
        # a due time, not "time left": these details are written at a change and read much later
        lines.append(f"restore due {due.restore_due.isoformat(timespec='minutes')}{paused}")
    if incident.breached:
        lines.append("**SLA breached**")
    if incident.timeline:
        last = incident.timeline[-1]
        lines.append(f"last: {last.action} by {last.actor} at {last.at.isoformat(timespec='seconds')}")
    return "\n\n".join(lines)
