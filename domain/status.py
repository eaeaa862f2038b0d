"""What the business sees on the status page, derived from the incident record. Pure: time is a parameter.

Only what people wrote for the business (`incidentctl update --public`) and what the process says in
its own fixed words reaches the page: never summaries, notes, findings, engineers, hosts, alert
labels or details. `PublicIncident` is built from a handful of named fields so nothing else can leak.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from domain.enums import Outcome, State


class ComponentStatus(StrEnum):
    """Statuspage's component statuses, best first."""

    OPERATIONAL = "operational"
    UNDER_MAINTENANCE = "under_maintenance"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"

    @property
    def rank(self) -> int:
        return list(ComponentStatus).index(self)

    @property
    def words(self) -> str:
        return self.value.replace("_", " ").capitalize()


# priority -> (what the service is, Statuspage's incident impact). P4/P5 touch one user or a redundant
# part: not an outage the business is told about, so they are not on the page.
BY_PRIORITY: dict[str, tuple[ComponentStatus, str]] = {
    "P1": (ComponentStatus.MAJOR_OUTAGE, "critical"),
    "P2": (ComponentStatus.PARTIAL_OUTAGE, "major"),
    "P3": (ComponentStatus.DEGRADED_PERFORMANCE, "minor"),
}
NOT_OUTAGES = {Outcome.KNOWN_ERROR.value, Outcome.CANCELLED.value, Outcome.DUPLICATE.value}
INDICATOR = {"critical": "critical", "major": "major", "minor": "minor", "none": "none"}
DESCRIPTION = {"none": "All Systems Operational", "minor": "Minor Service Outage",
               "major": "Partial System Outage", "critical": "Major System Outage"}  # fmt: skip


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
    closed_at: datetime | None


@dataclass(frozen=True)
class PublicUpdate:
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


def on_the_page(record: RecordedIncident) -> bool:
    return record.outcome not in NOT_OUTAGES and record.priority in BY_PRIORITY


def public_incident(record: RecordedIncident, written: list[tuple[datetime, str]]) -> PublicIncident:
    """The incident as the business reads it: the updates people wrote, with the process's own default
    lines where none was written (investigating when logged, restored, resolved)."""
    status_now = incident_status(record.state, record.acknowledged_at is not None)
    component = affects_service(record.priority, record.impact)
    impact = BY_PRIORITY[record.priority or "P3"][1]
    updates = [PublicUpdate(at, _status_at(record, at), body) for at, body in written]
    defaults = [(record.logged_at, "investigating", f"We are investigating a problem with {record.service}.")]
    resolved_at = record.closed_at if record.state == State.CLOSED else None
    if record.restored_at is not None:
        defaults.append((record.restored_at, "monitoring", "Service restored. We are monitoring."))
    if resolved_at is not None:
        defaults.append((resolved_at, "resolved", "This incident has been resolved."))
    for at, status, body in defaults:
        # a default line only where nobody wrote one for that step
        if not any(u.status == status for u in updates):
            updates.append(PublicUpdate(at, status, body))
    updates.sort(key=lambda u: u.at, reverse=True)
    name = f"{component.words} of {record.service}" if status_now != "resolved" else f"{record.service} incident"
    return PublicIncident(number=record.number, service=record.service, name=name, status=status_now, impact=impact,
                          component_status=component, started_at=record.logged_at,
                          updated_at=updates[0].at, resolved_at=resolved_at, updates=updates)  # fmt: skip


def _status_at(record: RecordedIncident, at: datetime) -> str:
    if record.closed_at is not None and record.state == State.CLOSED and at >= record.closed_at:
        return "resolved"
    if record.restored_at is not None and at >= record.restored_at:
        return "monitoring"
    if record.acknowledged_at is not None and at >= record.acknowledged_at:
        return "identified"
    return "investigating"


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


def service_status(service: str, incidents: list[PublicIncident], maintenances: list[Maintenance],
                   now: datetime) -> ComponentStatus:  # fmt: skip
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
    uptime: float  # share of the day not in partial or major outage, 0..1


def day_bars(service: str, records: list[RecordedIncident], today: date, days: int = 90) -> list[DayBar]:
    """A bar per day, oldest first, coloured by its worst state; outage time counts against uptime
    from logged to restored (or now-ish: the end of today for one still open)."""
    first = today - timedelta(days=days - 1)
    worst = {first + timedelta(days=n): ComponentStatus.OPERATIONAL for n in range(days)}
    down = dict.fromkeys(worst, 0.0)
    for record in records:
        if record.service != service or not on_the_page(record):
            continue
        status = affects_service(record.priority, record.impact)
        start = record.logged_at
        end = record.restored_at or record.closed_at or datetime.combine(today + timedelta(days=1), time(),
                                                                          tzinfo=start.tzinfo)  # fmt: skip
        day = start.date()
        while day <= end.date() and day <= today:
            if day in worst:
                worst[day] = max(worst[day], status, key=lambda s: s.rank)
                if status.rank >= ComponentStatus.PARTIAL_OUTAGE.rank:
                    begins = max(start, datetime.combine(day, time(), tzinfo=start.tzinfo))
                    ends = min(end, datetime.combine(day + timedelta(days=1), time(), tzinfo=start.tzinfo))
                    down[day] += max((ends - begins).total_seconds(), 0.0)
            day += timedelta(days=1)
    return [DayBar(day, worst[day], max(0.0, 1 - down[day] / 86400)) for day in sorted(worst)]


def uptime(bars: list[DayBar]) -> float:
    return sum(b.uptime for b in bars) / len(bars) if bars else 1.0
