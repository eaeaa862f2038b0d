"""What the business sees on the status page, derived from the incident record. Pure: time is a parameter.

Only what people wrote for the business (`incidentctl update --public`) and what the process says in
its own fixed words reaches the page: never summaries, notes, findings, engineers, hosts, alert
labels or details. `PublicIncident` is built from a handful of named fields so nothing else can leak.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from domain.enums import Action, Outcome, State


class ComponentStatus(StrEnum):
    """Statuspage's component statuses, best first."""

    OPERATIONAL = "operational"
    UNDER_MAINTENANCE = "under_maintenance"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    @property
    def words(self) -> str:
        return self.value.replace("_", " ").capitalize()


# a table, not list(ComponentStatus).index(): rank is asked for each incident on every page rebuild
_RANKS = {status: n for n, status in enumerate(ComponentStatus)}

# priority -> (what the service is, Statuspage's incident impact). P4/P5 touch one user or a redundant
# part: not an outage the business is told about, so they are not on the page.
BY_PRIORITY: dict[str, tuple[ComponentStatus, str]] = {
    "P1": (ComponentStatus.MAJOR_OUTAGE, "critical"),
    "P2": (ComponentStatus.PARTIAL_OUTAGE, "major"),
    "P3": (ComponentStatus.DEGRADED_PERFORMANCE, "minor"),
}
NOT_OUTAGES = {Outcome.KNOWN_ERROR.value, Outcome.CANCELLED.value, Outcome.DUPLICATE.value}
INDICATOR = {"critical": "critical", "major": "major", "minor": "minor", "none": "none"}
DESCRIPTION = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
}


def affects_service(priority: str | None, impact: int | None) -> ComponentStatus:
    """The mapping of DESIGN's priority (impact x urgency) to what the page says of the service.
    Impact 1 (widespread) is an outage at least partial, whatever the urgency."""
    status = BY_PRIORITY.get(priority or "", (ComponentStatus.OPERATIONAL, "none"))[0]
    if impact == 1 and status.rank < ComponentStatus.PARTIAL_OUTAGE.rank:
        return ComponentStatus.PARTIAL_OUTAGE
    return status


def incident_status(state: str, acknowledged: bool) -> str:
    """Statuspage's incident status from ours."""
    if state in (State.RESOLVED, State.CLOSED):
        return "resolved"
    if state == State.RESTORED:
        return "monitoring"
    return "identified" if acknowledged else "investigating"


@dataclass(frozen=True)
class RecordedIncident:
    """The fields of the record the page may use (activities read them from Postgres `incidents`)."""

    number: str
    service: str
    state: str
    outcome: str | None
    priority: str | None
    impact: int | None
    logged_at: datetime
    acknowledged_at: datetime | None
    restored_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True)
class RecordedStep:
    """An entry of the incident's timeline as the page may use it: where it sits, when, what it did to
    the state, and the words only of a public update (no other entry's detail is ever read)."""

    seq: int
    at: datetime
    action: str
    to_state: str
    public_text: str = ""


@dataclass(frozen=True)
class PublicUpdate:
    id: str  # names this update for ever: its body and time never change, a new update gets a new id
    at: datetime
    status: str
    body: str


@dataclass
class PublicIncident:
    number: str
    service: str
    name: str
    status: str
    impact: str
    component_status: ComponentStatus
    started_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    updates: list[PublicUpdate] = field(default_factory=list)  # newest first

    @property
    def unresolved(self) -> bool:
        return self.status != "resolved"


# What the page says by itself when the incident's public status changes and nobody has to write it
DEFAULT_LINES = {
    "investigating": "We are investigating a problem with {service}.",
    "identified": "The problem has been identified and we are working on it.",
    "monitoring": "Service restored. We are monitoring.",
    "resolved": "This incident has been resolved.",
}
ACKNOWLEDGED_STATES = {State.IN_PROGRESS.value, State.ON_HOLD.value}


def on_the_page(record: RecordedIncident) -> bool:
    return record.outcome not in NOT_OUTAGES and record.priority in BY_PRIORITY


def resolved_at(record: RecordedIncident) -> datetime | None:
    """When it was resolved (not when the resolution was confirmed and it closed)."""
    if record.state not in (State.RESOLVED, State.CLOSED):
        return None
    return record.resolved_at or record.closed_at


def still_listed(record: RecordedIncident, now: datetime, recent: timedelta) -> bool:
    """Unresolved, or resolved (closed or not) within `recent` of now."""
    resolved = resolved_at(record)
    return resolved is None or now - resolved < recent


def public_updates(record: RecordedIncident, steps: list[RecordedStep]) -> list[PublicUpdate]:
    """Newest first: every public update people wrote, and the page's own line at each step that changed
    the incident's public status. Each is named by its timeline entry, which is never rewritten, so an
    id once published keeps its words and time, and a reopened incident's new steps get new ids."""
    updates: list[PublicUpdate] = []
    shown, acknowledged = None, False
    for step in sorted(steps, key=lambda s: s.seq):
        acknowledged = acknowledged or step.to_state in ACKNOWLEDGED_STATES
        status = incident_status(step.to_state, acknowledged)
        uid = f"{record.number}-{step.seq}"
        if step.action == Action.PUBLIC_UPDATE:
            updates.append(PublicUpdate(uid, step.at, status, step.public_text))
        elif status != shown:
            updates.append(PublicUpdate(uid, step.at, status, DEFAULT_LINES[status].format(service=record.service)))
        shown = status
    return updates[::-1]  # the timeline's order, which is the order things happened


def public_incident(record: RecordedIncident, steps: list[RecordedStep]) -> PublicIncident:
    """The incident as the business reads it, from the record's named fields and the public steps."""
    status_now = incident_status(record.state, record.acknowledged_at is not None)
    component = affects_service(record.priority, record.impact)
    impact = BY_PRIORITY[record.priority or "P3"][1]
    updates = public_updates(record, steps)
    name = f"{component.words} of {record.service}" if status_now != "resolved" else f"{record.service} incident"
    return PublicIncident(
        number=record.number,
        service=record.service,
        name=name,
        status=status_now,
        impact=impact,
        component_status=component,
        started_at=record.logged_at,
        updated_at=updates[0].at if updates else record.logged_at,
        resolved_at=resolved_at(record),
        updates=updates,
    )


@dataclass(frozen=True)
class Maintenance:
    id: int
    service: str
    starts_at: datetime
    ends_at: datetime
    summary: str

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def status(self, now: datetime) -> str:
        return "in_progress" if self.active(now) else "completed" if now >= self.ends_at else "scheduled"


def service_status(
    service: str, incidents: list[PublicIncident], maintenances: list[Maintenance], now: datetime
) -> ComponentStatus:
    """The worst of its unrestored incidents; under maintenance when one is in progress and nothing worse."""
    worst = ComponentStatus.OPERATIONAL
    for incident in incidents:
        if incident.service == service and incident.status in ("investigating", "identified"):
            worst = max(worst, incident.component_status, key=lambda s: s.rank)
    if worst is ComponentStatus.OPERATIONAL and any(m.service == service and m.active(now) for m in maintenances):
        return ComponentStatus.UNDER_MAINTENANCE
    return worst


def page_indicator(incidents: list[PublicIncident]) -> str:
    """status.indicator: the worst impact of the unresolved incidents."""
    order = ["none", "minor", "major", "critical"]
    worst = max((i.impact for i in incidents if i.unresolved), key=order.index, default="none")
    return INDICATOR[worst]


@dataclass(frozen=True)
class DayBar:
    day: date
    status: ComponentStatus
    down_seconds: float  # in partial or major outage, counted once however many incidents overlap
    seconds: float  # the part of the day that has happened: all of it, or up to now for today

    @property
    def uptime(self) -> float:
        """Share of the day so far not in partial or major outage, 0..1."""
        return 1 - self.down_seconds / self.seconds if self.seconds > 0 else 1.0


def outage_spans(service: str, records: list[RecordedIncident], now: datetime) -> list[tuple[datetime, datetime]]:
    """When the service was in partial or major outage, as the union of its incidents' spans (logged to
    restored, or to now for one still down): a second incident inside a running outage adds nothing."""
    spans = []
    for record in records:
        if record.service != service or not on_the_page(record):
            continue
        if affects_service(record.priority, record.impact).rank < ComponentStatus.PARTIAL_OUTAGE.rank:
            continue
        end = min(record.restored_at or record.closed_at or now, now)
        if end > record.logged_at:
            spans.append((record.logged_at, end))
    return merged_spans(spans)


def merged_spans(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The union of time spans, in order: overlapping or touching spans become one."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def day_bars(service: str, records: list[RecordedIncident], now: datetime, days: int = 90) -> list[DayBar]:
    """A bar per UTC day up to today, oldest first, coloured by the worst state of any incident that day;
    its outage time is the union of outage spans within the day, and nothing after now counts."""
    today = now.date()
    first = today - timedelta(days=days - 1)
    worst = {first + timedelta(days=n): ComponentStatus.OPERATIONAL for n in range(days)}
    for record in records:
        if record.service != service or not on_the_page(record):
            continue
        status = affects_service(record.priority, record.impact)
        end = min(record.restored_at or record.closed_at or now, now)
        day = max(record.logged_at.astimezone(now.tzinfo).date(), first)
        while day <= min(end.astimezone(now.tzinfo).date(), today):
            worst[day] = max(worst[day], status, key=lambda s: s.rank)
            day += timedelta(days=1)
    spans = outage_spans(service, records, now)
    bars = []
    for day in sorted(worst):
        begins = datetime.combine(day, time(), tzinfo=now.tzinfo)
        ends = min(begins + timedelta(days=1), now)
        down = sum(max((min(e, ends) - max(s, begins)).total_seconds(), 0.0) for s, e in spans)
        bars.append(DayBar(day, worst[day], down, max((ends - begins).total_seconds(), 0.0)))
    return bars


def uptime(bars: list[DayBar]) -> float:
    """Over the whole period up to now (today weighs what has happened of it)."""
    total = sum(b.seconds for b in bars)
    return 1 - sum(b.down_seconds for b in bars) / total if total > 0 else 1.0
