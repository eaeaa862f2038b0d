"""One incident's state: the single model a workflow keeps and carries across continue-as-new."""

from datetime import datetime

from pydantic import AwareDatetime, BaseModel

from domain.catalog import ServiceAgreement
from domain.enums import Action, Outcome, Priority, Source, State


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

    known_error_id: str | None = None
    workaround: str = ""
    resolution: str = ""
    problem: str | None = None
    occurrences: dict[str, Occurrence] = {}
    quiet_since: AwareDatetime | None = None  # when the last firing alert resolved
    early_ack: str | None = None  # who acknowledged (events API) before prioritization
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

    def last_entry_at(self) -> datetime:
        return self.timeline[-1].at if self.timeline else self.logged_at
