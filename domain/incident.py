"""One incident: what was reported, where it stands and its timeline; the heart of the state its
workflow keeps and carries across continue-as-new (domain.incident_state)."""

from datetime import datetime

from pydantic import AwareDatetime, BaseModel

from domain import names
from domain.catalog import ServiceAgreement
from domain.enums import Action, Outcome, Priority, Source, State
from domain.paging import Paging
from domain.releases import RecentChange


class TimelineEntry(BaseModel):
    """One line of the incident's story: who did what, when, and why."""

    seq: int
    at: AwareDatetime
    actor: str
    action: Action
    from_state: State | None
    to_state: State
    detail: str = ""
    # who must hear about it: "group:<name>", "manager:<name>", "stakeholders"
    notify: list[str] = []


class Occurrence(BaseModel):
    """One alert (Alertmanager fingerprint or events-API dedup key) inside an incident."""

    key: str
    firing: bool = True
    count: int = 0
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    description: str = ""


class Link(BaseModel):
    href: str
    text: str = ""


class AlertContext(BaseModel):
    """What an alert source said that a responder needs beside the summary. The receiver bounds
    every part (starter/intake/alert_context.py) so it stays small in history."""

    description: str = ""
    runbook_url: str = ""
    group: str = ""  # PagerDuty payload.group, e.g. a cluster
    client: str = ""  # the monitoring tool that sent it, and where it shows the alert
    client_url: str = ""
    links: list[Link] = []
    images: list[Link] = []  # href is the image, text its alt text
    details: dict[str, str] = {}  # custom_details or annotations, flattened to "a.b" -> text


class Incident(BaseModel):
    workflow_id: str
    number: str | None = None
    service: str
    summary: str
    source: Source
    caller: str = ""
    supplier: str = ""
    ci: str = ""
    previous_number: str | None = None

    state: State = State.LOGGED
    outcome: Outcome | None = None
    severity: str = ""  # as the alert source said it; mapped by the catalog
    impact: int | None = None
    urgency: int | None = None
    priority: Priority | None = None
    category: str | None = None
    runbook: str = ""
    group: str = ""
    assignee: str = ""
    assigned: list[str] = []  # every person the incident was assigned to, first first
    major: bool = False
    agreement: ServiceAgreement | None = None

    logged_at: AwareDatetime
    acknowledged_at: AwareDatetime | None = None
    restored_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None

    # The restore clock pauses while on hold or restored; a reopen resumes it.
    paused_since: AwareDatetime | None = None
    paused_seconds: float = 0.0

    response_escalations: int = 0
    restore_warned: bool = False
    breached: bool = False
    last_stakeholder_update: AwareDatetime | None = None

    known_error_id: str | None = None  # closed as this known error (outcome known_error)
    offered_known_errors: list[str] = []  # published while it was open: their workarounds were offered
    recent_changes: list[RecentChange] = []  # changes to the service just before it was logged
    workaround: str = ""
    resolution: str = ""
    problem: str | None = None
    occurrences: dict[str, Occurrence] = {}
    alert_context: AlertContext | None = None
    quiet_since: AwareDatetime | None = None  # when the last firing alert resolved
    early_ack: str | None = None  # who acknowledged (events API) before prioritization
    pagings: list[Paging] = []  # being paged now: the group's policy, and a service manager's warning page
    paged_through: int = 0  # timeline entries already looked at by paging_rules.respond
    pages_sent: int = 0  # pages issued so far: the next page's sequence number is this + 1
    inbox_seen: list[int] = []  # the receiver's inbox rows applied lately (alerts.first_sight), oldest first
    timeline: list[TimelineEntry] = []

    @property
    def is_closed(self) -> bool:
        return self.state is State.CLOSED

    @property
    def display_name(self) -> str:
        return self.number or self.workflow_id

    @property
    def firing_alerts(self) -> int:
        return sum(1 for o in self.occurrences.values() if o.firing)

    @property
    def from_alerts(self) -> bool:
        return self.source in (Source.ALERTMANAGER, Source.EVENTS_API)

    def responders(self) -> list[str]:
        """Everyone who handled it: acknowledged, was assigned, escalated or acted (search attribute
        IncidentResponders), in the order they first appear."""
        people = [e.actor for e in self.timeline] + self.assigned + ([self.assignee] if self.assignee else [])
        return names.responders(people)

    def last_entry_at(self) -> datetime:
        return self.timeline[-1].at if self.timeline else self.logged_at
