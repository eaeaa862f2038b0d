"""What auditors see in the Web UI: search attributes, memo and current details."""

import asyncio
from datetime import datetime

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from workflows.releases import CURRENT
from workflows.search_attributes import (
    ALL_KEYS,
    INCIDENT_ASSIGNEE,
    INCIDENT_CATEGORY,
    INCIDENT_GROUP,
    INCIDENT_NUMBER,
    INCIDENT_PRIORITY,
    INCIDENT_RELEASE,
    INCIDENT_RESPONDERS,
    INCIDENT_SERVICE,
    INCIDENT_SOURCE,
    INCIDENT_STATE,
    MAJOR_INCIDENT,
    RESTORE_DEADLINE,
    SLA_BREACHED,
)

with workflow.unsafe.imports_passed_through():
    from domain.incident import Incident
    from domain.sla import deadlines

REJECTED = "rejected"  # IncidentState of a start that registration refused: visible as refused, never "logged"


def search_attribute_values(
    incident: Incident, now: datetime, release: str, deadline_as_restored: bool = False
) -> dict[str, object]:
    """Name -> value; values that are unknown yet are left out rather than blanked. `release`: of
    this run's code (workflows/releases.py). `deadline_as_restored` (from release 1.4): once restored,
    RestoreDeadline is the deadline the restoration was measured against, not one that moves on
    while the restored time is kept aside for a reopen."""
    due = deadlines(incident, incident.restored_at if deadline_as_restored and incident.restored_at else now)
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
        INCIDENT_RESPONDERS.name: incident.responders() or None,
        INCIDENT_RELEASE.name: release,
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


class WebUi:
    """What one run last showed auditors: only the search attributes that moved are upserted.

    From release 1.3 (`once_per_task`), once per workflow task, after its handlers and the main loop
    have made their changes: a new incident's registration, categorization and prioritization, all in
    its first task, make one upsert. From release 1.4 (`only_what_moved`), what the starter set is
    not upserted again, and a restored incident's deadline stays put (search_attribute_values)."""

    def __init__(self, release: str, once_per_task: bool = False, only_what_moved: bool = False) -> None:
        self.release = release  # of this run's code (workflows/releases.py)
        self.once_per_task = once_per_task
        self.only_what_moved = only_what_moved
        self.upserted: dict[str, object] = {}
        if only_what_moved:  # the execution has them already: set by the starter, or carried by a hand-over
            self.upserted = {pair.key.name: pair.value for pair in workflow.info().typed_search_attributes}
        self._due: Incident | None = None  # to be shown before this task ends

    def show(self, incident: Incident, now: datetime) -> None:
        if not self.once_per_task:
            self._show(incident, now)
        elif self._due is None:
            self._due = incident
            # the workflow's event loop runs this before the task completes, after what is ready now
            asyncio.get_running_loop().call_soon(self._show_due)
        else:
            self._due = incident

    def _show_due(self) -> None:
        incident, self._due = self._due, None
        if incident is not None:
            self._show(incident, workflow.now())

    def _show(self, incident: Incident, now: datetime) -> None:
        current = search_attribute_values(incident, now, self.release, deadline_as_restored=self.only_what_moved)
        pairs = changed_pairs(current, self.upserted)
        if pairs:
            workflow.upsert_search_attributes(pairs)
            self.upserted = current
        workflow.set_current_details(current_details(incident, now))


def initial_search_attributes(service: str, source: str, number: str | None = None) -> TypedSearchAttributes:
    """Set by the starter, so a new incident is findable, and its release known, before its first workflow task."""
    pairs = [
        SearchAttributePair(INCIDENT_SERVICE, service),
        SearchAttributePair(INCIDENT_SOURCE, source),
        SearchAttributePair(INCIDENT_STATE, "logged"),
        SearchAttributePair(INCIDENT_RELEASE, CURRENT),
    ]
    if number is not None:
        pairs.append(SearchAttributePair(INCIDENT_NUMBER, number))
    return TypedSearchAttributes(pairs)  # type: ignore[arg-type]


def static_summary(service: str, summary: str, number: str | None = None) -> str:
    """The workflow page's title; the number first when it is known at the start (reserved at intake)."""
    return (f"{number} " if number else "") + f"{service}: {summary}"[:200]


def refused_pairs() -> list[SearchAttributePair]:  # type: ignore[type-arg]
    return [SearchAttributePair(INCIDENT_STATE, REJECTED)]


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
    lines += _alert_context_lines(incident)
    lines += [f"changed {change.line(incident.logged_at)}" for change in incident.recent_changes[:3]]
    if incident.offered_known_errors:
        lines.append(f"known error offered: {', '.join(incident.offered_known_errors)}")
    if incident.timeline:
        last = incident.timeline[-1]
        lines.append(f"last: {last.action} by {last.actor} at {last.at.isoformat(timespec='seconds')}")
    return "\n\n".join(lines)


def _alert_context_lines(incident: Incident) -> list[str]:
    """What the alert's sender said a responder needs: runbook, description, links (a few, short)."""
    context = incident.alert_context
    if context is None:
        return []
    lines = [f"runbook {context.runbook_url}"] if context.runbook_url else []
    if context.description:
        lines.append(context.description[:300])
    links = [f"[{link.text or 'link'}]({link.href})" for link in context.links[:5]]
    if context.client_url:
        links.append(f"[{context.client or 'source'}]({context.client_url})")
    if links:
        lines.append("links " + " ".join(links))
    return lines
